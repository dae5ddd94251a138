"""Test helpers shared by the CLI, reliability and end-to-end tests: a user's campaign file
and the environment of a user whose .env points AdBee at the emulators."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import yaml

from sandbox.graph_emulator import Fault, GraphEmulator
from sandbox.seeding import SANDBOX_META_TOKEN
from tests.conftest import future


def campaign_body(**overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "account": "iflytek-sg",
        "name": "AINOTE2 launch SG",
        "daily_budget": 50,
        "start_time": future(),
        "countries": ["SG"],
        "video": "creatives/ainote2.mp4",
        "primary_text": "Meet AINOTE 2, the notebook that writes your meeting notes.",
        "headline": "AINOTE 2 is here",
        "description": "Free shipping",
        "link": "https://shop.example.com/sg/ainote2",
        "call_to_action": "SHOP_NOW",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def write_campaign(folder: Path, filename: str = "campaign.yaml", **overrides: object) -> Path:
    path = folder / filename
    path.write_text(yaml.safe_dump(campaign_body(**overrides), allow_unicode=True))
    return path


SHEET_COLUMNS = [
    "account",
    "name",
    "daily_budget",
    "start_time",
    "end_time",
    "countries",
    "videos",
    "primary_texts",
    "headline",
    "link",
    "call_to_action",
]


def write_sheet(folder: Path, rows: int = 12, **bad: dict[str, str]) -> Path:
    """A launch sheet of ``rows`` campaigns (AINOTE2 launch 1..N) as a spreadsheet exports it
    (CSV UTF-8 with Excel's byte-order mark); ``bad`` overrides cells by row number (``row9``)."""
    body = campaign_body()
    path = folder / "launches.csv"
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(SHEET_COLUMNS)
        for n in range(1, rows + 1):
            cells = {
                **{k: str(body.get(k, "")) for k in SHEET_COLUMNS},
                "name": f"AINOTE2 launch {n}",
                "end_time": "",
                "countries": "SG",
                "videos": "creatives/ainote2.mp4",
                "primary_texts": "Meet AINOTE 2, the notebook that writes your meeting notes.",
                **bad.get(f"row{n + 1}", {}),
            }
            writer.writerow([cells[k] for k in SHEET_COLUMNS])
    return path


def sandbox_env(graph: GraphEmulator, db: Path) -> dict[str, str]:
    """Settings of a user whose .env points AdBee at the Graph API emulator, test-fast."""
    return {
        "META_ACCESS_TOKEN": SANDBOX_META_TOKEN,
        "META_GRAPH_URL": graph.url,
        "META_VIDEO_URL": graph.url,
        "META_API_VERSION": "v26.0",
        "DATABASE_URL": f"sqlite:///{db}",
        # Beside the database, never the shared data/uploads: ids restart at 1 in every fresh
        # database, so two processes' request-1 folders would be one (tests/e2e/conftest.py).
        "UPLOAD_DIR": str(db.parent / "uploads"),
        "ACCOUNTS_FILE": "configs/accounts.yaml",
        "VIDEO_POLL_INTERVAL": "0.05",
        "META_RETRY_BASE_DELAY": "0.01",
        "META_MAX_THROTTLE_WAIT": "2",
        "ADBEE_SANDBOX": "1",
    }


def cli_env(graph: GraphEmulator, db: Path, **extra: str) -> dict[str, str]:
    """The whole environment for a CLI subprocess: ours, minus any real META_/SLACK_ settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("META_", "SLACK_"))}
    env.update(sandbox_env(graph, db), PYTHONUNBUFFERED="1")
    env.update(extra)
    return env


def nothing_sent_but_budget_reads(graph: GraphEmulator) -> bool:
    """True when the only calls Meta saw are reads of an account's minimum budgets: what a
    refused campaign may cost (the check reads Meta's own floor), never an upload or a create."""
    return all(r.method == "GET" and r.path.endswith("/minimum_budgets") for r in graph.requests)


def refused_ad_set(**extra: object) -> Fault:
    """Meta's permanent refusal of an ad set (a budget on an ad set of a campaign-budget campaign).

    Shared by the services and end-to-end tests of "a refused ad set stops the upload"; ``extra``
    adds Fault fields (e.g. ``delay_ms``).
    """
    return Fault(
        method="POST",
        path_contains="/adsets",
        code=100,
        subcode=1885621,
        error_user_title="Ad Set Budget Not Allowed",
        error_user_msg="This campaign uses campaign budget; remove the ad set budget.",
        **extra,  # type: ignore[arg-type]
    )
