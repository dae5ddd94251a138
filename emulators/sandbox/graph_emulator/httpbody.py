"""Request-body decoding: urlencoded and multipart/form-data, stdlib only.

``cgi`` is deprecated and ``email`` mangles binary parts, so multipart is split by hand. The
SDK sends plain fields urlencoded and switches to multipart whenever a file is attached
(platform-facts.md §0.5); both must yield the same flat ``{name: str}`` params.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl


@dataclass(frozen=True)
class UploadedFile:
    """One file part of a multipart body."""

    filename: str
    content: bytes
    content_type: str


@dataclass
class DecodedBody:
    """Text params and file parts of a request body."""

    params: dict[str, str]
    files: dict[str, UploadedFile]


class BodyError(ValueError):
    """The body could not be decoded (answered as a Graph code-100 error)."""


_PARAM_RE = re.compile(r';\s*([A-Za-z0-9_*-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')


def parse_qs_flat(query: str) -> dict[str, str]:
    """Query string to a flat dict; repeated keys keep the last value, as Graph does."""
    return dict(parse_qsl(query, keep_blank_values=True))


def _header_params(value: str) -> tuple[str, dict[str, str]]:
    """Split ``type; a=b; c="d"`` into the main value and its parameters."""
    main, _, rest = value.partition(";")
    params: dict[str, str] = {}
    for match in _PARAM_RE.finditer(";" + rest):
        raw = match.group(2).strip()
        if len(raw) >= 2 and raw[0] == raw[-1] == '"':
            raw = raw[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        params[match.group(1).lower()] = raw
    return main.strip().lower(), params


def decode_chunked(raw: bytes) -> bytes:
    """Decode a ``Transfer-Encoding: chunked`` body."""
    out = bytearray()
    pos = 0
    while True:
        end = raw.find(b"\r\n", pos)
        if end < 0:
            raise BodyError("truncated chunked body")
        size = int(raw[pos:end].split(b";")[0], 16)
        pos = end + 2
        if size == 0:
            return bytes(out)
        out += raw[pos : pos + size]
        pos += size + 2


def parse_multipart(body: bytes, boundary: str) -> DecodedBody:
    """Split a multipart/form-data body into text params and file parts."""
    delimiter = b"--" + boundary.encode("latin-1")
    params: dict[str, str] = {}
    files: dict[str, UploadedFile] = {}
    chunks = body.split(delimiter)
    if len(chunks) < 2:
        raise BodyError("multipart body has no boundary")
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):
            break  # closing delimiter
        if chunk.startswith(b"\r\n"):
            chunk = chunk[2:]
        head, sep, content = chunk.partition(b"\r\n\r\n")
        if not sep:
            raise BodyError("multipart part without header terminator")
        if content.endswith(b"\r\n"):
            content = content[:-2]
        headers: dict[str, str] = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        _, disp = _header_params(headers.get("content-disposition", ""))
        field_name = disp.get("name")
        if field_name is None:
            raise BodyError("multipart part without a name")
        if "filename" in disp:
            files[field_name] = UploadedFile(
                filename=disp["filename"],
                content=content,
                content_type=headers.get("content-type", "application/octet-stream"),
            )
        else:
            params[field_name] = content.decode("utf-8", "replace")
    return DecodedBody(params=params, files=files)


def decode_body(content_type: str | None, body: bytes) -> DecodedBody:
    """Decode a POST body according to its Content-Type."""
    if not body:
        return DecodedBody(params={}, files={})
    main, ctparams = _header_params(content_type or "")
    if main == "multipart/form-data":
        boundary = ctparams.get("boundary")
        if not boundary:
            raise BodyError("multipart/form-data without boundary")
        return parse_multipart(body, boundary)
    if main in ("", "application/x-www-form-urlencoded", "text/plain"):
        return DecodedBody(params=parse_qs_flat(body.decode("utf-8", "replace")), files={})
    if main == "application/json":
        try:
            data = json.loads(body)
        except ValueError as exc:
            raise BodyError("invalid JSON body") from exc
        if not isinstance(data, dict):
            raise BodyError("JSON body must be an object")
        # Graph accepts JSON bodies; nested values behave like JSON-encoded form fields.
        return DecodedBody(
            params={
                k: v if isinstance(v, str) else json.dumps(v, separators=(",", ":"))
                for k, v in data.items()
            },
            files={},
        )
    raise BodyError(f"unsupported content type {main}")
