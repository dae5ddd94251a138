"""On-call reads the logs: JSON lines that name the campaign, quiet scheduler, errors on stderr.

The JSON lines are read from a real ``python -m bot create`` process against the Graph API
emulator, with a transient Meta error injected into the campaign step.
"""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
from collections.abc import Iterator

import pytest

from bot.logs import configure_logging
from meta.domain.errors import MetaApiError
from meta.telemetry import log_context
from sandbox.graph_emulator import Fault
from tests.helpers import cli_env, write_campaign
from tests.reliability.conftest import ROOT


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    stream = io.StringIO()
    yield stream
    root.handlers[:], level = saved
    root.setLevel(level)


def test_a_json_line_names_the_creation_the_step_and_metas_trace_id(captured):
    configure_logging("INFO", "json", stream=captured)
    error = MetaApiError("Service temporarily unavailable", code=2, fbtrace_id="AbCdEf123")
    with log_context.bound(adbee_id=7, step="create_campaign"):
        logging.getLogger("meta.graph.client").info(
            "Meta answered POST %s: %s", "act_1/campaigns", error
        )
    line = json.loads(captured.getvalue().strip())
    assert line["level"] == "INFO"
    assert line["logger"] == "meta.graph.client"
    assert line["adbee_id"] == 7
    assert line["step"] == "create_campaign"
    assert line["fbtrace_id"] == "AbCdEf123"
    assert "act_1/campaigns" in line["message"]


def test_json_lines_mask_tokens_and_keep_a_traceback_inside_the_object(captured):
    configure_logging("INFO", "json", stream=captured)
    try:
        raise RuntimeError("GET /me?access_token=EAAB" + "x" * 30)
    except RuntimeError:
        logging.getLogger("x").exception("call failed")
    lines = captured.getvalue().strip().splitlines()
    assert len(lines) == 1  # the traceback does not spill over several lines
    entry = json.loads(lines[0])
    assert "EAAB" not in lines[0]
    assert "RuntimeError" in entry["exception"]


def test_apscheduler_per_run_lines_are_debug(captured):
    configure_logging("INFO", "text", stream=captured)
    runs = logging.getLogger("apscheduler.executors.default")
    runs.info('Running job "scan_job" (scheduled at ...)')
    runs.warning("Run time of job was missed by 0:00:05")
    assert "Running job" not in captured.getvalue()
    assert "was missed" in captured.getvalue()
    configure_logging("DEBUG", "text", stream=captured)
    runs.info('Running job "scan_job" (scheduled at ...)')
    assert 'DEBUG apscheduler.executors.default: Running job "scan_job"' in captured.getvalue()


def test_a_real_create_writes_json_lines_with_the_campaign_on_stderr(graph, tmp_path):
    graph.inject(Fault(code=2, times=1, path_contains="/campaigns", method="POST", http_status=503))
    env = cli_env(graph, tmp_path / "adbee.db", LOG_FORMAT="json", LOG_LEVEL="INFO")
    done = subprocess.run(
        [sys.executable, "-m", "bot", "create", str(write_campaign(tmp_path))],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "everything PAUSED" in done.stdout
    lines = [json.loads(line) for line in done.stderr.splitlines() if line.strip()]
    refusal = next(line for line in lines if "with code 2" in line["message"])
    assert refusal["adbee_id"] == 1
    assert refusal["step"] == "create_campaign"
    assert refusal["fbtrace_id"]
    assert "{" not in done.stdout  # stdout is the command's own output, no log lines
