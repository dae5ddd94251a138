"""``python -m sandbox.graph_emulator --port 8990 --seed FILE.yaml``: run standalone.

Lets the bot run locally against the emulator (META_GRAPH_URL=META_VIDEO_URL=http://...).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import sys
import threading
from pathlib import Path

import yaml

from .emulator import GraphEmulator


def main(argv: list[str] | None = None) -> int:
    """Parse args, seed, serve until SIGINT/SIGTERM."""
    parser = argparse.ArgumentParser(prog="python -m sandbox.graph_emulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8990)
    parser.add_argument("--seed", type=Path, help="YAML with tokens, accounts and settings")
    parser.add_argument("--latency-ms", type=float, default=None)
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO)
    emu = GraphEmulator(host=args.host, port=args.port)
    if args.seed:
        emu.load_seed(yaml.safe_load(args.seed.read_text()) or {})
    if args.latency_ms is not None:
        emu.latency_ms = args.latency_ms
    emu.start()
    print(f"Graph API emulator listening on {emu.url}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with contextlib.suppress(KeyboardInterrupt):
        stop.wait()
    emu.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
