"""``python -m bench``: run every benchmark, each in a fresh interpreter, then one summary table.

Each benchmark prints its own table and "what limits it"; the summary repeats the figures with
their same-run baselines and writes them as Markdown to bench/out/summary.md (the README's
"Benchmarks" table comes from there). ``--only ack_latency,create_time`` runs a subset.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

from bench.common import OUT, ROOT, fmt, machine

BENCHMARKS = (
    "ack_latency",
    "create_time",
    "upload_memory",
    "activation_burst",
    "stop_time",
    "bot_submissions",
    "bulk_launch",
    "status_sync",
)


def _rows(result: dict) -> list[tuple[str, ...]]:
    rows = []
    for f in result["figures"]:
        baseline = f"{fmt(f['baseline'], f['unit'])} ({f['baseline_label']})"
        rows.append(
            (
                result["bench"],
                f["name"],
                fmt(f["value"], f["unit"]),
                baseline if f["baseline_label"] else "-",
                f"{f['ratio']:.2f}x" if f["ratio"] is not None else "-",
                f["target"] or "-",
                f["verdict"],
            )
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--only", help="comma-separated subset of " + ", ".join(BENCHMARKS))
    args = parser.parse_args(argv)
    names = args.only.split(",") if args.only else list(BENCHMARKS)
    unknown = set(names) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    results, failed = [], []
    for name in names:
        (OUT / f"{name}.json").unlink(missing_ok=True)
        started = time.monotonic()
        print(f"\n##### python -m bench.{name}", flush=True)
        code = subprocess.call([sys.executable, "-m", f"bench.{name}"], cwd=ROOT)
        print(f"##### {name}: {time.monotonic() - started:.0f} s, exit {code}", flush=True)
        path = OUT / f"{name}.json"
        if code != 0 or not path.exists():
            failed.append(name)
            continue
        results.append(json.loads(path.read_text()))

    header = ("benchmark", "figure", "value", "baseline (same run)", "ratio", "target", "result")
    rows = [row for result in results for row in _rows(result)]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    print(f"\n== summary ==  {machine()}")
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    if failed:
        print(f"did not finish: {', '.join(failed)} (see its output above)")

    markdown = [
        f"Machine: {machine()}.",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
        *("| " + " | ".join(cell.replace("|", "/") for cell in row) + " |" for row in rows),
    ]
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "summary.md").write_text("\n".join(markdown) + "\n")
    print(f"(Markdown table in {(OUT / 'summary.md').relative_to(ROOT)})")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
