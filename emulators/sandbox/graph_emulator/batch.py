"""Graph batch requests: ``POST /vN/`` with ``batch=[...]`` (platform-facts.md §6).

Items run in order through the normal pipeline (own auth, faults, rate-limit charge), answer
``{code, headers, body}`` with ``body`` as a JSON *string*, may reference earlier named items
with ``{result=name:$.path}``, and items hit by a dropped connection come back as ``null``
(the SDK re-queues those).
"""

from __future__ import annotations

import json
import re
from typing import Any, Protocol
from urllib.parse import urlsplit

from .errors import GraphError, param_error
from .httpbody import UploadedFile, parse_qs_flat
from .wire import Request, Response

_REF_RE = re.compile(r"\{result=([^:}]+):(\$[^}]*)\}")
_VERSION_PREFIX = re.compile(r"^/?v\d+\.\d+/")


class _Handler(Protocol):
    def handle(self, req: Request) -> Response: ...

    @property
    def settings(self) -> Any: ...


class _DependencyFailed(Exception):
    """A referenced item failed or produced nothing at the JSONPath."""


def _jsonpath(value: Any, path: str) -> list[Any]:
    """Tiny JSONPath: ``$.a.b``, ``$.data.0.id``, ``$.data.*.id``, ``$.images.*.hash``."""
    current = [value]
    for token in [t for t in path.removeprefix("$").split(".") if t]:
        nxt: list[Any] = []
        for item in current:
            if token == "*":
                if isinstance(item, dict):
                    nxt.extend(item.values())
                elif isinstance(item, list):
                    nxt.extend(item)
            elif isinstance(item, dict) and token in item:
                nxt.append(item[token])
            elif isinstance(item, list) and token.isdigit() and int(token) < len(item):
                nxt.append(item[int(token)])
        current = nxt
    return [v for v in current if v is not None]


def _substitute(text: str, results: dict[str, Any], failed: set[str]) -> str:
    def replace(match: re.Match[str]) -> str:
        name, path = match.group(1), match.group(2)
        if name in failed or name not in results:
            raise _DependencyFailed(name)
        values = _jsonpath(results[name], path)
        if not values:
            raise _DependencyFailed(name)
        return ",".join(str(v) for v in values)

    return _REF_RE.sub(replace, text)


def _error_item(trace_message: str, include_headers: bool) -> dict[str, Any]:
    body = GraphError(message=trace_message, code=100).body("Abatchdependency")
    item: dict[str, Any] = {"code": 400}
    if include_headers:
        item["headers"] = [{"name": "Content-Type", "value": "application/json; charset=UTF-8"}]
    item["body"] = json.dumps(body, separators=(",", ":"))
    return item


def execute_batch(
    app: _Handler, outer: Request, params: dict[str, str], version: str
) -> list[dict[str, Any] | None]:
    """Run every item and return the response array."""
    try:
        items = json.loads(params["batch"])
    except ValueError as exc:
        raise param_error("The parameter batch must be a JSON array") from exc
    if not isinstance(items, list) or not items:
        raise param_error("The parameter batch must be a non-empty JSON array")
    if len(items) > app.settings.max_batch:
        raise param_error(
            f"Too many requests in batch message. Maximum batch size is {app.settings.max_batch}"
        )
    include_headers = params.get("include_headers", "true").lower() != "false"
    outer_token = params.get("access_token", "")
    referenced = set(_REF_RE.findall(params["batch"].replace('\\"', '"')))
    referenced_names = {name for name, _ in referenced}
    results: dict[str, Any] = {}
    failed: set[str] = set()
    out: list[dict[str, Any] | None] = []
    for item in items:
        if not isinstance(item, dict):
            out.append(_error_item("(#100) Each batch item must be a JSON object", include_headers))
            continue
        name = item.get("name")
        depends = item.get("depends_on")
        try:
            if depends and (depends in failed or depends not in results):
                raise _DependencyFailed(str(depends))
            relative = _substitute(str(item.get("relative_url", "")), results, failed)
            body_text = _substitute(str(item.get("body", "")), results, failed)
        except _DependencyFailed as dep:
            if name:
                failed.add(str(name))
            out.append(
                _error_item(
                    f"(#100) This batch operation depends on operation '{dep}' which failed",
                    include_headers,
                )
            )
            continue
        split = urlsplit(relative)
        rel_path = split.path
        path = rel_path if _VERSION_PREFIX.match(rel_path) else f"/{version}/{rel_path.lstrip('/')}"
        if not path.startswith("/"):
            path = "/" + path
        query = parse_qs_flat(split.query)
        body = parse_qs_flat(body_text)
        if "access_token" not in query and "access_token" not in body:
            query["access_token"] = outer_token
        if "appsecret_proof" in params and "appsecret_proof" not in query:
            query["appsecret_proof"] = params["appsecret_proof"]
        attached = [a.strip() for a in str(item.get("attached_files", "")).split(",") if a.strip()]
        files: dict[str, UploadedFile] = {a: outer.files[a] for a in attached if a in outer.files}
        headers = {
            str(h.get("name", "")).lower(): str(h.get("value", ""))
            for h in item.get("headers", []) or []
            if isinstance(h, dict)
        }
        response = app.handle(
            Request(
                method=str(item.get("method", "GET")).upper(),
                path=path,
                query=query,
                body=body,
                files=files,
                headers=headers,
                via_batch=True,
            )
        )
        if response.drop_connection:
            if name:
                failed.add(str(name))
            out.append(None)
            continue
        text = response.body.decode("utf-8", "replace")
        parsed: Any = None
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = None
        ok = response.status == 200 and not (isinstance(parsed, dict) and "error" in parsed)
        if name:
            if ok:
                results[str(name)] = parsed
            else:
                failed.add(str(name))
        omit = item.get("omit_response_on_success", True) is not False
        if ok and name in referenced_names and omit:
            out.append(None)
            continue
        entry: dict[str, Any] = {"code": response.status}
        if include_headers:
            entry["headers"] = [{"name": k, "value": v} for k, v in response.headers.items()]
        entry["body"] = text
        out.append(entry)
    return out
