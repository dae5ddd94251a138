"""``python -m bench.graph_server``: the Graph API emulator in a process of its own.

Benchmarks run the emulator outside the process they measure, so its CPU (JSON, the store lock)
does not compete with AdBee for the GIL and its memory (it keeps uploaded videos in RAM) does not
count towards AdBee's. It is seeded from ``configs/accounts.yaml`` like the tests do (or ``--accounts FILE``), prints one
JSON line ``{"url": ...}`` when listening, then obeys one command per stdin line, answering each
with one JSON line:

    set <setting> <json value>     change an emulator knob (latency_ms, max_score, ...)
    requests <file>                write every recorded request to <file> as JSON
    clear                          forget recorded requests
    reset_usage                    forget the rate limiter's score (after a bulk set-up)
    usage                          each ad account's rate-limit score over the last 5 minutes
    quit                           stop
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bench.common import CREATE_EDGE
from meta.domain.accounts import load_accounts
from sandbox.graph_emulator import GraphEmulator
from sandbox.seeding import seed_graph

ROOT = Path(__file__).resolve().parent.parent
# socketserver's default listen backlog is 5: a burst of new connections (more client threads
# than the client's keep-alive pool) would see dropped SYNs and 1 s retransmits, a harness
# artefact graph.facebook.com does not have.
LISTEN_BACKLOG = 1024
_KEEP_PARAMS = ("status", "upload_phase", "fields", "name")


def _record(request: Any) -> dict[str, Any]:
    data = asdict(request)
    params = {**data.pop("query"), **data.pop("body")}
    data["params"] = {key: params[key] for key in _KEEP_PARAMS if key in params}
    data["batch_creates"] = _batch_creates(params.get("batch"))
    return data


def _batch_creates(batch: Any) -> int:
    """How many of a batch request's operations create a campaign, ad set, creative or ad."""
    try:
        items = json.loads(batch) if isinstance(batch, str) else []
    except ValueError:
        return 0
    if not isinstance(items, list):
        return 0
    return sum(
        1
        for item in items
        if isinstance(item, dict)
        and str(item.get("method", "")).upper() == "POST"
        and CREATE_EDGE.search(str(item.get("relative_url", "")))
    )


def _command(emu: GraphEmulator, line: str) -> dict[str, Any]:
    name, _, rest = line.strip().partition(" ")
    if name == "set":
        key, _, value = rest.partition(" ")
        if not hasattr(type(emu), key) or key.startswith("_"):
            raise ValueError(f"unknown setting {key!r}")
        setattr(emu, key, json.loads(value))
        return {"ok": True}
    if name == "requests":
        records = [_record(r) for r in emu.requests]
        Path(rest).write_text(json.dumps(records))
        return {"ok": True, "count": len(records)}
    if name == "clear":
        emu.clear_requests()
        return {"ok": True}
    if name == "reset_usage":
        emu._limiter.reset()  # no public knob: the score of a bulk set-up must not count
        return {"ok": True}
    if name == "usage":
        # Read back through the usage headers the emulator sends (score = pct of max_score).
        scores = {}
        for account in emu._store.accounts.values():
            headers = emu._limiter.headers(account.numeric_id)
            pct = json.loads(headers["X-Ad-Account-Usage"])["acc_id_util_pct"]
            scores[account.id] = round(pct * emu.max_score / 100)
        return {"ok": True, "scores": scores, "max_score": emu.max_score}
    raise ValueError(f"unknown command {name!r}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.graph_server")
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--video-processing-seconds", type=float, default=2.0)
    parser.add_argument("--ad-review-seconds", type=float, default=1.0)
    parser.add_argument("--accounts", type=Path, default=ROOT / "configs" / "accounts.yaml")
    args = parser.parse_args(argv)
    ThreadingHTTPServer.request_queue_size = LISTEN_BACKLOG
    emu = GraphEmulator()
    seed_graph(emu, load_accounts(args.accounts))
    emu.latency_ms = args.latency_ms
    emu.video_processing_seconds = args.video_processing_seconds
    emu.ad_review_seconds = args.ad_review_seconds
    emu.start()
    print(json.dumps({"url": emu.url}), flush=True)
    try:
        for line in sys.stdin:
            if not line.strip():
                continue
            if line.strip() == "quit":
                break
            try:
                answer = _command(emu, line)
            except Exception as exc:  # report, keep serving
                answer = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
            print(json.dumps(answer), flush=True)
    finally:
        emu.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
