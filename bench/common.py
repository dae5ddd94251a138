"""What every benchmark shares: emulators, seeded accounts, settings, figures and their report.

Rules the benchmarks follow (see README "Benchmarks"): every figure is printed next to a baseline
measured in the same run, with the ratio, the target and PASS/MISS; nothing asserts, so a miss is
reported, not hidden. Graph API latency is injected by the emulator (``latency_ms``), which runs in
a process of its own (``bench.graph_server``) so it never competes with AdBee for the GIL or
pollutes AdBee's memory figures.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import platform
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
API_VERSION = "v26.0"
CAMPAIGN_FILE = ROOT / "configs" / "campaigns" / "ainote2-sg.yaml"
VIDEO = ROOT / "creatives" / "ainote2.mp4"
# Graph error codes meaning "throttled" (meta-api.md §5), plus HTTP 429.
THROTTLE_CODES = frozenset({4, 17, 32, 613, *range(80000, 80015)})


# ---------------------------------------------------------------------------------- figures


@dataclass
class Figure:
    """One measured figure, its same-run baseline, and the target it is judged against."""

    name: str
    value: float
    unit: str
    baseline: float | None = None
    baseline_label: str = ""
    target: str = ""
    passed: bool | None = None  # None: informational, no target
    limit: str = ""  # what limits this figure
    ratio_override: float | None = None  # when the ratio is not value / baseline

    @property
    def ratio(self) -> float | None:
        if self.ratio_override is not None:
            return self.ratio_override
        if self.baseline in (None, 0):
            return None
        return self.value / self.baseline  # type: ignore[operator]

    @property
    def verdict(self) -> str:
        return {True: "PASS", False: "MISS", None: "-"}[self.passed]


def fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    if unit == "ms":
        return f"{value:.1f} ms"
    if unit == "s":
        return f"{value:.2f} s"
    if unit in ("MB", "MiB"):
        return f"{value:.1f} {unit}"
    if float(value).is_integer():
        return f"{int(value)}{' ' + unit if unit else ''}"
    return f"{value:.2f}{' ' + unit if unit else ''}"


def report(
    bench: str, figures: Sequence[Figure], *, setup: str, notes: Iterable[str] = ()
) -> dict[str, Any]:
    """Print the figures as a table; keep them in bench/out/<bench>.json for ``python -m bench``."""
    rows = [
        (
            f.name,
            fmt(f.value, f.unit),
            f"{fmt(f.baseline, f.unit)} ({f.baseline_label})" if f.baseline_label else "-",
            f"{f.ratio:.2f}x" if f.ratio is not None else "-",
            f.target or "-",
            f.verdict,
        )
        for f in figures
    ]
    header = ("figure", "value", "baseline (same run)", "ratio", "target", "result")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    print(f"\n== {bench} ==  {machine()}")
    print(f"setup: {setup}")
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)))
    limits = [(f.name, f.limit) for f in figures if f.limit]
    if limits:
        print("what limits it:")
        for name, limit in limits:
            print(f"  - {name}: {limit}")
    notes = list(notes)
    for note in notes:
        print(f"  note: {note}")
    result = {
        "bench": bench,
        "machine": machine(),
        "setup": setup,
        "notes": notes,
        "figures": [dict(asdict(f), ratio=f.ratio, verdict=f.verdict) for f in figures],
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{bench}.json").write_text(json.dumps(result, indent=2))
    return result


def machine() -> str:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    cpu = f"{os.cpu_count()} CPUs" + (f" ({model})" if model else "")
    return f"{platform.machine()}, {cpu}, Python {platform.python_version()}"


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100): p99 of 1000 samples is the 990th smallest."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


# ---------------------------------------------------------------------------------- set-up


def widen_listen_backlog() -> None:
    """Let the emulators' HTTP servers queue bursts of connections (socketserver default: 5)."""
    ThreadingHTTPServer.request_queue_size = 1024


def quiet_logs() -> None:
    import logging

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for name in ("urllib3", "slack_bolt", "slack_sdk", "apscheduler", "sandbox"):
        logging.getLogger(name).setLevel(logging.ERROR)


def accounts():  # type: ignore[no-untyped-def]
    from meta.domain.accounts import load_accounts

    return load_accounts(ROOT / "configs" / "accounts.yaml")


def workdir(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"adbee-bench-{prefix}-"))


def bench_settings(graph_url: str, database: Path, **extra: Any):  # type: ignore[no-untyped-def]
    """AdBee's settings against the emulator; everything not named keeps its production default
    (video poll every 3 s, retry policy, worker threads)."""
    from bot.settings import Settings
    from sandbox.seeding import SANDBOX_META_TOKEN

    values: dict[str, Any] = {
        "meta_access_token": SANDBOX_META_TOKEN,
        "meta_graph_url": graph_url,
        "meta_video_url": graph_url,
        "meta_api_version": API_VERSION,
        "database_url": f"sqlite:///{database}",
        "accounts_file": ROOT / "configs" / "accounts.yaml",
        "adbee_sandbox": True,
    }
    values.update(extra)
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


def video_uploader(settings: Any):  # type: ignore[no-untyped-def]
    """The product's chunked uploader under ``settings`` (a bench's set-up uploads its video)."""
    from meta.graph.upload import VideoUploader

    meta = settings.meta_config()
    return VideoUploader(
        video_url=meta.video_url,
        api_version=meta.api_version,
        access_token=meta.access_token,
        appsecret_proof=meta.appsecret_proof,
        retry=meta.retry_policy(),
    )


def bot_env(
    *, graph_url: str, database: Path, slack: Any, channel: str, approvers: str, **extra: str
) -> dict[str, str]:
    """Environment for ``python -m bot`` (the production entry point) against both emulators."""
    from sandbox.seeding import SANDBOX_META_TOKEN

    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("META_", "SLACK_", "DATABASE_", "CAMPAIGNS_", "ALERTS_"))
    }
    env.update(
        {
            "META_ACCESS_TOKEN": SANDBOX_META_TOKEN,
            "META_GRAPH_URL": graph_url,
            "META_VIDEO_URL": graph_url,
            "META_API_VERSION": API_VERSION,
            "DATABASE_URL": f"sqlite:///{database}",
            "ACCOUNTS_FILE": "configs/accounts.yaml",
            "SLACK_BOT_TOKEN": slack.bot_token,
            "SLACK_APP_TOKEN": slack.app_token,
            "SLACK_API_URL": slack.api_url,
            "CAMPAIGNS_CHANNEL": channel,
            "APPROVER_IDS": approvers,
            "ADBEE_SANDBOX": "1",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


# A campaign, ad set, creative or ad create, in a recorded path or a batch operation's URL.
CREATE_EDGE = re.compile(r"act_\d+/(campaigns|adsets|adcreatives|ads)(\?|$)")


def campaign_raw(name: str, **overrides: Any) -> dict[str, Any]:
    """The example campaign file's fields with another name (names must be unique per account)."""
    from meta.domain.yaml_files import load_yaml_file

    raw = dict(load_yaml_file(CAMPAIGN_FILE))
    raw.update({"name": name, "video": str(VIDEO), **overrides})
    return raw


# ---------------------------------------------------------------------------------- Graph API


class GraphServer:
    """The Graph API emulator in a child process (``bench.graph_server``), driven over a pipe."""

    def __init__(
        self,
        *,
        latency_ms: float,
        video_processing_seconds: float = 2.0,
        ad_review_seconds: float = 1.0,
        log_name: str = "graph",
        accounts_file: Path | None = None,
    ) -> None:
        self.latency_ms = latency_ms
        self._args = [
            "--latency-ms",
            str(latency_ms),
            "--video-processing-seconds",
            str(video_processing_seconds),
            "--ad-review-seconds",
            str(ad_review_seconds),
            *(["--accounts", str(accounts_file)] if accounts_file else []),
        ]
        self._log_name = log_name
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[str] | None = None
        self.url = ""

    def __enter__(self) -> GraphServer:
        OUT.mkdir(parents=True, exist_ok=True)
        log = (OUT / f"{self._log_name}-emulator.log").open("w")
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "bench.graph_server", *self._args],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        log.close()
        assert self._proc.stdout is not None
        first = self._proc.stdout.readline()
        if not first:
            raise RuntimeError(f"graph emulator did not start; see {log.name}")
        self.url = json.loads(first)["url"]
        return self

    @property
    def pid(self) -> int:
        assert self._proc is not None
        return self._proc.pid

    def command(self, line: str) -> dict[str, Any]:
        assert self._proc is not None and self._proc.stdin and self._proc.stdout
        with self._lock:
            self._proc.stdin.write(line + "\n")
            self._proc.stdin.flush()
            answer = json.loads(self._proc.stdout.readline())
        if not answer.get("ok"):
            raise RuntimeError(f"graph emulator: {line!r}: {answer.get('error')}")
        return answer

    def set(self, **settings: Any) -> None:
        for key, value in settings.items():
            self.command(f"set {key} {json.dumps(value)}")

    def requests(self) -> list[dict[str, Any]]:
        with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
            path = Path(handle.name)
        try:
            self.command(f"requests {path}")
            return json.loads(path.read_text())
        finally:
            path.unlink(missing_ok=True)

    def clear(self) -> None:
        self.command("clear")

    def reset_usage(self) -> None:
        self.command("reset_usage")

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the emulator process has used so far."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def scores(self) -> tuple[dict[str, int], int]:
        """(each ad account's rate-limit score over the last 5 minutes, the max score)."""
        answer = self.command("usage")
        return answer["scores"], answer["max_score"]

    def busiest_score(self) -> tuple[int, int]:
        """(score of the busiest ad account over the last 5 minutes, the account's max score)."""
        answer = self.command("usage")
        return max(answer["scores"].values(), default=0), answer["max_score"]

    def __exit__(self, *exc: object) -> None:
        proc = self._proc
        if proc is None:
            return
        with contextlib.suppress(OSError, ValueError):
            assert proc.stdin is not None
            proc.stdin.write("quit\n")
            proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        self._proc = None


def is_throttle(record: dict[str, Any]) -> bool:
    return record["status"] == 429 or (
        record["status"] >= 400 and record.get("error_code") in THROTTLE_CODES
    )


# ---------------------------------------------------------------------------------- processes


@contextlib.contextmanager
def child(args: list[str], *, env: dict[str, str], log_name: str) -> Iterator[subprocess.Popen]:
    """Run ``python <args>`` from the repo root, logging to bench/out; SIGTERM it afterwards."""
    OUT.mkdir(parents=True, exist_ok=True)
    with (OUT / f"{log_name}.log").open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, *args], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@dataclass
class Timeline:
    """Wall-clock marks of one run, relative to its start (for "what limits it")."""

    start: float = field(default_factory=time.monotonic)
    marks: list[tuple[float, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def mark(self, label: str) -> None:
        with self.lock:
            self.marks.append((time.monotonic() - self.start, label))

    def text(self) -> str:
        return ", ".join(f"{label} {at:.2f}s" for at, label in self.marks)
