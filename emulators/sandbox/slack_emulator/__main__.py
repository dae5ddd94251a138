"""Run the emulator standalone: ``python -m sandbox.slack_emulator [--port N]``.

Prints the environment the bot needs (``SLACK_API_URL``, tokens) and seeds a small workspace
so the bot can be started by hand against it; Ctrl-C stops it.
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading

from .emulator import SlackEmulator


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox.slack_emulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--team-id", default="T0ADBEE")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO)

    emu = SlackEmulator(host=args.host, port=args.port, team_id=args.team_id).start()
    emu.add_user("U_ALICE", name="alice", real_name="Alice Tan", tz="Asia/Singapore")
    emu.add_user("U_BOB", name="bob", real_name="Bob Lee", tz="America/New_York")
    emu.add_channel("C_CAMPAIGNS", name="campaigns")
    emu.add_usergroup("S_APPROVERS", handle="approvers", users=["U_BOB"])
    print(f"SLACK_API_URL={emu.api_url}")
    print(f"SLACK_BOT_TOKEN={emu.bot_token}")
    print(f"SLACK_APP_TOKEN={emu.app_token}", flush=True)

    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    emu.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
