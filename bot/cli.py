"""``python -m bot <command>``: validate and create campaigns from files, run the bot, the demo.

Exit codes: 0 done, 1 the input or Meta refused (the message says what to fix), 2 usage or
configuration problem.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import pydantic

from bot import __version__
from bot.cli_problems import print_refusal
from bot.failures import describe_failure, settings_problem
from bot.settings import Settings, SettingsError
from meta.domain.accounts import AccountsFileError
from meta.domain.errors import AdBeeError, ValidationError
from meta.domain.report_range import looks_like_range
from meta.domain.report_table import money_with_code, roas
from meta.domain.sheet import SheetError, decode_sheet, read_sheet
from meta.domain.spec import CampaignSpec
from meta.domain.states import STEP_LABELS, ProgressEvent, Step
from meta.domain.times import format_local
from meta.image.check import check_image, describe_image, looks_like_image_file
from meta.services.creative_review import review
from meta.services.pipeline import AlreadyCreatedError
from meta.services.summary import CampaignSummary
from meta.video.check import check_video, describe_video
from meta.video.kinds import looks_like_video_file

if TYPE_CHECKING:  # bootstrap is imported lazily: validate must not pay for the Meta SDK
    from bot.bootstrap import Services


def main(
    argv: Sequence[str] | None = None, *, out: TextIO = sys.stdout, err: TextIO | None = None
) -> int:
    """Run one command. Errors go to ``err``: stderr when writing to the real stdout, else ``out``
    (tests and the demo pass one buffer and read the whole conversation from it)."""
    err = err or (sys.stderr if out is sys.stdout else out)
    parser = _parser()
    args = parser.parse_args(argv)
    command = args.command or "run"
    try:
        if command == "validate":
            return _validate(Path(args.file), out)
        if command == "create":
            if args.sheet:
                if args.files:
                    parser.error("give either campaign files or --sheet, not both")
                return _create_sheet(Path(args.sheet), dry_run=args.dry_run, out=out)
            if not args.files:
                parser.error("give one or more campaign files, or --sheet launches.csv")
            if len(args.files) > 1:
                return _create_many([Path(f) for f in args.files], dry_run=args.dry_run, out=out)
            return _create(Path(args.files[0]), dry_run=args.dry_run, out=out)
        if command == "run":
            from bot.runner import run_bot

            return run_bot(Settings(), out=out)
        if command == "demo":
            from bot.demo import run_demo

            return run_demo(out=out, err=err, speed=args.speed)
        if command == "health":
            from bot.runner import health, probe

            if args.probe:
                return probe(Settings(), out=out)
            return health(Settings(), out=out, as_json=args.json)
        if command == "report":
            ref, range_text = _report_words(args.campaign)
            return _report(ref, range_text, Path(args.out) if args.out else None, out)
        if command == "edit":
            from bot.cli_edit import edit_command

            media = [f"add_video={p}" for p in args.add_video or []]
            media += [f"add_image={p}" for p in args.add_image or []]
            return edit_command(args.campaign, [*(args.set or []), *media], out)
        if command == "duplicate":
            from bot.cli_duplicate import duplicate_command

            return duplicate_command(
                args.campaign,
                out,
                name=args.name,
                account=args.account,
                countries=args.countries,
                daily_budget=args.daily_budget,
                start_time=args.start_time,
                end_time=args.end_time,
            )
        if command == "init-db":
            from bot.database_init import init_db

            return init_db(Settings(), out=out)
    except (SettingsError, AccountsFileError) as exc:
        print(f"error: {exc}", file=err)
        return 2
    except pydantic.ValidationError as exc:  # a malformed value in .env or the environment
        print("error: some settings in .env or the environment are not usable:", file=err)
        for problem in exc.errors():
            print(f"  - {settings_problem(problem)}", file=err)
        return 2
    except Exception as exc:
        line = describe_failure(exc)
        if line is None:
            raise
        print(f"error: {line}", file=err)
        return 2
    parser.error(f"unknown command {command}")
    return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="AdBee: launch Meta Advantage+ Sales video campaigns from Slack or files.",
        epilog=_examples(
            "python -m bot demo                      # see the whole story offline",
            "python -m bot validate configs/campaigns/ainote2-sg.yaml",
            "python -m bot                           # start the Slack bot",
            "python -m bot <command> --help          # each command's options and examples",
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"AdBee {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="command")

    def command(name: str, help_text: str, *examples: str) -> argparse.ArgumentParser:
        return sub.add_parser(
            name,
            help=help_text,
            description=help_text[0].upper() + help_text[1:] + ".",
            epilog=_examples(*examples),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )

    validate = command(
        "validate",
        "check a campaign file, a video or an image; exit 1 with errors if bad (no token, no database)",
        "python -m bot validate configs/campaigns/ainote2-sg.yaml",
        "python -m bot validate creatives/ainote2.mp4",
        "python -m bot validate creatives/ainote2-hero.jpg",
    )
    validate.add_argument("file", help="a campaign YAML file, a video file or an image file")
    create = command(
        "create",
        "create the campaign in Meta, everything PAUSED",
        "python -m bot create configs/campaigns/ainote2-sg.yaml --dry-run   # print, send nothing",
        "python -m bot create configs/campaigns/ainote2-sg.yaml",
        "python -m bot create configs/campaigns/*.yaml   # all checked first, then all created",
        "python -m bot create --sheet configs/launches.example.csv   # one campaign per row",
    )
    create.add_argument(
        "files",
        nargs="*",
        metavar="file",
        help="campaign YAML files (see configs/campaigns/); with several, every file is checked "
        "before anything is uploaded, and one bad file refuses the whole batch",
    )
    create.add_argument(
        "--sheet",
        metavar="CSV",
        help="a launch sheet instead of files: one campaign per row, the campaign-file fields as "
        "columns, list items separated by |; video paths relative to the repo (the folder AdBee "
        "runs in), as in campaign files; every row is checked before anything is uploaded",
    )
    create.add_argument(
        "--dry-run", action="store_true", help="print the Graph API requests, send none"
    )
    command(
        "run",
        "start the Slack bot (Socket Mode); the default when no command is given",
        "python -m bot run",
        "LOG_FORMAT=json LOG_LEVEL=DEBUG python -m bot",
    )
    demo = command(
        "demo",
        "play the whole story offline against the emulators",
        "python -m bot demo",
        "python -m bot demo --speed 4     # four times faster",
    )
    demo.add_argument("--speed", type=float, default=1.0, help="time compression factor")
    health = command(
        "health",
        "check settings, database, scheduler, Meta token, Slack, outbox and API version; "
        "creates nothing; exit 0 healthy, 1 degraded, 2 down",
        "python -m bot health",
        "python -m bot health --json | jq .status",
        "python -m bot health --probe     # Docker HEALTHCHECK: exit 1 only when down",
    )
    health.add_argument("--json", action="store_true", help="one JSON object, for machines")
    health.add_argument(
        "--probe",
        action="store_true",
        help="ask the running bot on HEALTH_PORT (when set); exit 0 unless down",
    )
    report = command(
        "report",
        "print a campaign's daily spend, results and ROAS from Meta's Insights, and write a chart",
        "python -m bot report 12                        # the last 7 days, ending today",
        "python -m bot report AINOTE2 launch SG 30d --out chart.png",
        "python -m bot report 12 2026-12-01..2026-12-07 --out chart.png",
    )
    report.add_argument(
        "campaign",
        nargs="+",
        metavar="campaign [range]",
        help="AdBee campaign number or name, then optionally the range: today, yesterday, "
        "7d (default), 30d, YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD",
    )
    report.add_argument("--out", metavar="PNG", help="write the chart (PNG) to this file")
    edit = command(
        "edit",
        "change a campaign in Meta (budget, end, countries, texts, link, call to action, URL "
        "tags, a new video or image) with the diff from what Meta holds; what needs an approver "
        "is left for Slack",
        "python -m bot edit 12 --set daily_budget=40            # lower: applied at once",
        'python -m bot edit 12 --set end_time="2026-12-20 23:59" --set primary_text="New text"',
        "python -m bot edit AINOTE2 launch SG --set daily_budget=80   # a raise: ask in Slack",
        "python -m bot edit 12 --set video=cut2.mp4     # check a new video: ask in Slack",
        "python -m bot edit 12      # only finish an edit a crash interrupted",
    )
    edit.add_argument("campaign", nargs="+", help="AdBee campaign number, Meta id or name")
    edit.add_argument(
        "--set",
        action="append",
        metavar="NAME=VALUE",
        help="a field and its new value: daily_budget, end_time (none: no end), countries "
        "(SG,MY), primary_text, headline, description, link, call_to_action, url_tags, "
        "video or image (a file replacing the first ad's)",
    )
    edit.add_argument(
        "--add-video",
        action="append",
        metavar="PATH",
        help="one more ad in the ad set, showing this video (same as --set add_video=PATH)",
    )
    edit.add_argument(
        "--add-image",
        action="append",
        metavar="PATH",
        help="one more ad in the ad set, showing this image (same as --set add_image=PATH)",
    )
    duplicate = command(
        "duplicate",
        "create the same campaign again (from what Meta holds now), PAUSED, as a new request "
        "awaiting approval; its own account reuses the uploaded videos, another uploads them",
        "python -m bot duplicate 12 --name 'AINOTE2 launch SG wave 2'",
        "python -m bot duplicate AINOTE2 launch SG --account iflytek-my --countries MY",
    )
    duplicate.add_argument("campaign", nargs="+", help="AdBee campaign number, Meta id or name")
    duplicate.add_argument(
        "--name",
        help="the new campaign's name (default: the same, or '<name> (copy)' in the same account)",
    )
    duplicate.add_argument("--account", metavar="KEY", help="the ad account (accounts.yaml key)")
    duplicate.add_argument("--countries", metavar="CC,CC", help="country codes, e.g. MY or SG,MY")
    duplicate.add_argument("--daily-budget", metavar="AMOUNT", help="in the account's currency")
    duplicate.add_argument("--start-time", metavar="TIME", help="in the account's timezone")
    duplicate.add_argument("--end-time", metavar="TIME", help="in the account's timezone")
    command(
        "init-db",
        "create AdBee's tables (an empty database on purpose); the bot refuses to start on an "
        "empty database where AdBee evidently ran before",
        "python -m bot init-db",
        "DATABASE_URL=postgresql://adbee@db:5432/adbee python -m bot init-db",
    )
    return parser


def _examples(*lines: str) -> str:
    return "examples:\n" + "\n".join(f"  {line}" for line in lines)


def _services(*, with_meta: bool, with_database: bool) -> Services:
    from bot.bootstrap import build_services

    return build_services(Settings(), with_meta=with_meta, with_database=with_database)


def _check(
    path: Path, out: TextIO, *, with_meta: bool = False, with_database: bool = True
) -> tuple[Services, CampaignSpec | None]:
    services = _services(with_meta=with_meta, with_database=with_database)
    try:
        spec = services.campaigns.validate_file(path)
    except ValidationError as exc:
        print(
            f"{path}: {len(exc.problems)} problem(s); nothing was uploaded to or created in Meta:",
            file=out,
        )
        for problem in exc.problems:
            print(f"  - {problem.field}: {problem.message}", file=out)
        return services, None
    return services, spec


def _validate(path: Path, out: TextIO) -> int:
    if looks_like_image_file(path):
        return _validate_image(path, out)
    if looks_like_video_file(path):
        return _validate_video(path, out)
    services, spec = _check(path, out, with_database=False)
    if spec is None:
        return 1
    account = services.accounts.get(spec.account_key)
    _print_spec(spec, account.timezone if account else "UTC", out)
    print("OK: ready to create.", file=out)
    return 0


def _validate_video(path: Path, out: TextIO) -> int:
    """The video check a creation runs, on its own: no campaign file, accounts or token needed."""
    try:
        info = check_video(path)
    except ValidationError as exc:
        return _refused(path, exc, out)
    _passed(path, describe_video(info), info.warnings, "video", out)
    return 0


def _validate_image(path: Path, out: TextIO) -> int:
    """The image check a creation runs (by content: Meta's image ad specs), on its own."""
    try:
        image = check_image(path)
    except ValidationError as exc:
        return _refused(path, exc, out)
    _passed(path, describe_image(image), image.warnings, "image", out)
    return 0


def _refused(path: Path, exc: ValidationError, out: TextIO) -> int:
    return print_refusal(exc, out, where=str(path))


def _passed(
    path: Path, description: str, warnings: tuple[str, ...], what: str, out: TextIO
) -> None:
    print(f"{path.name}: {description}", file=out)
    for warning in warnings:
        print(f"  warning:   {warning}", file=out)
    print(f"OK: the {what} meets Meta's specs; ready to upload.", file=out)


def _print_spec(spec: CampaignSpec, tz: str, out: TextIO) -> None:
    print(f"{spec.name} ({spec.account_key})", file=out)
    print(f"  budget:    {spec.budget_text()} per day", file=out)
    print(f"  starts:    {format_local(spec.start_time, tz)}", file=out)
    if spec.end_time:
        print(f"  ends:      {format_local(spec.end_time, tz)}", file=out)
    print(f"  countries: {', '.join(spec.countries)}", file=out)
    plans = spec.ads()
    if len(spec.videos) == 1 and not spec.images:
        print(f"  video:     {spec.video_path.name}", file=out)
    elif spec.creative_mode == "flexible":
        texts = f"{len(spec.primary_texts)} primary texts, {len(spec.headlines)} headlines"
        print(f"  ads:       1 flexible ad of {len(spec.videos)} videos, {texts}", file=out)
        print(f"    1. {plans[0].media_name}", file=out)
    else:
        paired = spec.placement_pairs or spec.image_pairs
        kinds = ["video", *(["placement pair"] if paired else [])]
        what = " or ".join([", ".join(kinds), "image"] if spec.images else [", ".join(kinds)])
        print(f"  ads:       {len(plans)}, one per {what} (creative_mode ads)", file=out)
        for plan in plans:
            kind = " (images)" if plan.feed_image else " (image)" if plan.image_path else ""
            print(f"    {plan.index}. {plan.media_name}{kind}: {plan.headline}", file=out)
    shown = review(spec)
    for kind, label in (("campaign", "campaign"), ("adset", "ad set"), ("ad", "ad")):
        print(f"  {label + ' name:':<15}{shown.names[kind]}", file=out)
    print(f"  final URL:     {shown.final_url}", file=out)
    for choice, value in shown.choices:
        print(f"  {choice}: {value}", file=out)
    for warning in spec.warnings:
        print(f"  warning:   {warning}", file=out)


def _create(path: Path, *, dry_run: bool, out: TextIO) -> int:
    services, spec = _check(path, out, with_meta=not dry_run, with_database=not dry_run)
    if spec is None:
        return 1
    return _create_spec(services, spec, dry_run=dry_run, out=out)[0]


def _create_many(paths: list[Path], *, dry_run: bool, out: TextIO) -> int:
    """Several campaign files: every one checked first (the same checks as one file), and any
    problem in any file refuses the batch before anything is uploaded; then each is created in
    turn, one progress line per campaign, and a table of the outcomes at the end."""
    services = _services(with_meta=not dry_run, with_database=not dry_run)
    entries = [
        _Entry(str(path), f"({path})", partial(services.campaigns.validate_file, path))
        for path in paths
    ]
    return _create_batch(services, entries, "files", dry_run=dry_run, out=out)


def _create_sheet(path: Path, *, dry_run: bool, out: TextIO) -> int:
    """A launch sheet (``meta.domain.sheet``): one campaign per row, every row checked before
    anything is uploaded and refused row by row with the field named; then the batch."""
    try:
        rows = read_sheet(decode_sheet(path.read_bytes()))
    except OSError as exc:
        print(f"error: cannot read {path}: {exc.strerror or exc}", file=out)
        return 2
    except SheetError as exc:
        print(
            f"{path}: the sheet cannot be read; nothing was uploaded to or created in Meta:",
            file=out,
        )
        for problem in exc.problems:
            print(f"  - row {problem.row}, {problem.field}: {problem.message}", file=out)
        return 1
    services = _services(with_meta=not dry_run, with_database=not dry_run)
    entries = [
        _Entry(
            f"{path} row {row.number}",
            f"(row {row.number})",
            partial(services.campaigns.validate, row.fields),
        )
        for row in rows
    ]
    return _create_batch(services, entries, "rows", dry_run=dry_run, out=out)


@dataclass(frozen=True)
class _Entry:
    """One campaign of a batch: where it comes from (a file, a sheet's row) and how to check it."""

    where: str
    short: str  # what its progress line says after the name
    check: Callable[[], CampaignSpec]


def _create_batch(
    services: Services, entries: list[_Entry], unit: str, *, dry_run: bool, out: TextIO
) -> int:
    """Check every entry, refuse the batch if any is wrong, else create each and print a table."""
    # (entry, its campaign, the campaign an earlier run of this batch already made from it)
    specs: list[tuple[_Entry, CampaignSpec, CampaignSummary | None]] = []
    refused: dict[str, list[str]] = {}
    seen: dict[tuple[str, str], str] = {}
    for entry in entries:
        try:
            spec = entry.check()
        except ValidationError as exc:
            refused[entry.where] = [f"{p.field}: {p.message}" for p in exc.problems]
            continue
        first = seen.setdefault((spec.account_key, spec.name), entry.where)
        if first != entry.where:  # the second would resume or refuse the first, not make another
            refused[entry.where] = [f"name: {spec.name!r} in {spec.account_key} is also in {first}"]
            continue
        made = None if dry_run else services.campaigns.made_before(spec)
        taken = None if dry_run or made else services.campaigns.pipeline.name_taken(spec)
        if taken is not None:
            refused[entry.where] = [f"name: {taken}"]
            continue
        specs.append((entry, spec, made))
    if refused:
        for where, problems in refused.items():
            print(f"{where}: {len(problems)} problem(s):", file=out)
            for problem in problems:
                print(f"  - {problem}", file=out)
        print(
            f"{len(refused)} of {len(entries)} {unit} have problems; nothing was uploaded to or "
            "created in Meta. Fix them and run the same command again.",
            file=out,
        )
        return 1
    outcomes: list[tuple[str, str, str]] = []
    for number, (entry, spec, made) in enumerate(specs, start=1):
        if dry_run:
            print(f"\n[{number}/{len(specs)}] {spec.name} {entry.short}", file=out)
            _create_spec(services, spec, dry_run=True, out=out)
            outcomes.append((spec.name, "dry run", "-"))
            continue
        print(f"[{number}/{len(specs)}] {spec.name} {entry.short}:", end="", file=out, flush=True)
        if made is not None:  # a re-run after a crash: this one was finished then
            print(" already created", end="", file=out)
        summary, error = (made, "") if made else _create_quietly(services, spec, out)
        if summary is not None:
            ident = f"AdBee #{summary.id}, campaign {summary.campaign_id}, {len(summary.ads)} ad(s)"
            print(f" -> {summary.status}, {ident}", file=out, flush=True)
            outcomes.append((spec.name, str(summary.status), ident))
        else:  # resumed by creating it again (its file, or the same sheet: the rest are refused as made)
            print(f" -> FAILED\n    error: {error}", file=out, flush=True)
            outcomes.append((spec.name, "failed", f"see {entry.short.strip('()')} above"))
    width = max(len(name) for name, _s, _i in outcomes)
    print(f"\n{'campaign'.ljust(width)}  status        ids", file=out)
    for name, state, ident in outcomes:
        print(f"{name.ljust(width)}  {state.ljust(12)}  {ident}", file=out)
    return 1 if any(state == "failed" for _n, state, _i in outcomes) else 0


def _create_quietly(
    services: Services, spec: CampaignSpec, out: TextIO
) -> tuple[CampaignSummary | None, str]:
    """Create one campaign of a batch, its steps as words on its one progress line."""
    try:
        summary = services.campaigns.create(
            spec, requested_by="cli", source="cli", on_progress=StepWords(out)
        )
    except AdBeeError as exc:
        return None, exc.message
    return summary, ""


def _create_spec(
    services: Services, spec: CampaignSpec, *, dry_run: bool, out: TextIO
) -> tuple[int, CampaignSummary | None]:
    """Create (or dry-run) one checked campaign, printing its progress and its ids."""
    if dry_run:
        settings = services.settings
        print(
            f"Dry run: these requests would be sent to {settings.meta_graph_url} "
            f"(uploads to {settings.meta_video_url}); none was sent.",
            file=out,
        )
        for number, call in enumerate(services.campaigns.dry_run(spec), start=1):
            base = settings.meta_video_url if "advideos" in call.path else settings.meta_graph_url
            print(
                f"\n{number}. {call.label}\n   {call.method} {base}/{settings.meta_api_version}/{call.path}",
                file=out,
            )
            for key, value in call.params.items():
                shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                print(f"     {key}={shown}", file=out)
        return 0, None
    printer = ProgressPrinter(out)
    try:
        summary = services.campaigns.create(
            spec, requested_by="cli", source="cli", on_progress=printer
        )
    except AlreadyCreatedError as exc:
        print(f"error: {exc}", file=out)
        return 1, None
    except AdBeeError as exc:
        print(f"\nerror: {exc.message}", file=out)
        return 1, None
    _print_created(summary, out)
    return 0, summary


def _report_words(words: Sequence[str]) -> tuple[str, str | None]:
    """``AINOTE2 launch SG 30d`` -> (name, range): the last word is the range when shaped like one,
    as in ``/campaign report``."""
    if len(words) > 1 and looks_like_range(words[-1]):
        return " ".join(words[:-1]), words[-1]
    return " ".join(words), None


def _report(ref: str, range_text: str | None, chart: Path | None, out: TextIO) -> int:
    """The same numbers as ``/campaign report``: the table, then the chart file if asked."""
    services = _services(with_meta=True, with_database=True)
    assert services.reports is not None  # built whenever Meta is configured
    try:
        report = services.reports.report(ref, range_text)
    except AdBeeError as exc:
        print(f"error: {exc.message}", file=out)
        return 1
    summary, insights = report.summary, report.insights
    print(f"{summary.name} (AdBee #{summary.id}, {summary.status.replace('_', ' ')})", file=out)
    print(report.caption, file=out)
    print(f"daily budget {summary.budget_text}", file=out)
    print("", file=out)
    for line in report.table():
        print(line, file=out)
    totals = insights.totals
    print(
        f"\nTotal: {money_with_code(totals.spend_minor, insights.currency)} spent, "
        f"{totals.purchases:,} purchases worth "
        f"{money_with_code(totals.purchase_value_minor, insights.currency)}, "
        f"ROAS {roas(totals.roas)}",
        file=out,
    )
    if chart is not None:
        from meta.services.reports import chart_png

        chart.write_bytes(chart_png(report))
        print(f"chart: {chart}", file=out)
    return 0


def _print_created(summary: CampaignSummary, out: TextIO) -> None:
    print(f"\nCreated {summary.name!r}, everything PAUSED (AdBee #{summary.id}):", file=out)
    print(f"  campaign  {summary.campaign_id}", file=out)
    print(f"  ad set    {summary.adset_id}", file=out)
    print(f"  creative  {summary.creative_id}", file=out)
    print(f"  ad        {summary.ad_id}", file=out)
    first = summary.ads[0] if summary.ads else None
    if len(summary.ads) == 1 and first is not None and len(first.video_ids) > 1:
        # One ad of several videos: a placement pair or a flexible ad.
        print(f"  videos    {', '.join(first.video_ids)} ({first.video_name})", file=out)
    else:
        print(f"  video     {summary.video_id}", file=out)
    if len(summary.ads) > 1:
        for ad in summary.ads:
            media = f"image {ad.image_hash}" if ad.image_hash else f"video {ad.video_id}"
            print(
                f"  ad {ad.index}      {ad.ad_id} (creative {ad.creative_id}, {media}, "
                f"{ad.video_name})",
                file=out,
            )
    print(f"  starts    {summary.start_text}", file=out)
    print(f"  {summary.ads_manager_url}", file=out)


class ProgressPrinter:
    """Prints one line per step change, and upload/processing progress in 10% steps."""

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._last: dict[str, int] = {}

    def __call__(self, event: ProgressEvent) -> None:
        label = STEP_LABELS[event.step]
        if event.state == "progress":
            bucket = (event.percent or 0) // 10
            if self._last.get(event.step) == bucket:
                return
            self._last[event.step] = bucket
            print(f"  {label}: {event.percent}% {event.detail}", file=self._out, flush=True)
            return
        marks = {
            "started": "...",
            "done": "done",
            "skipped": "already done",
            "retry": "retrying",
            "failed": "FAILED",
        }
        print(
            f"  {label}: {marks.get(event.state, event.state)} {event.detail}".rstrip(),
            file=self._out,
            flush=True,
        )


# A batch's progress line names each step once it is done, in a word.
_STEP_WORDS = {
    Step.UPLOAD: "uploaded",
    Step.PROCESS: "processed",
    Step.IMAGE: "image",
    Step.CAMPAIGN: "campaign",
    Step.ADSET: "ad set",
    Step.CREATIVE: "creative",
    Step.AD: "ad",
}


class StepWords:
    """One campaign of a batch on one line: a word per step as it is done (each step once, however
    many videos), so twelve campaigns make twelve lines a user can scan."""

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._said: set[Step] = set()

    def __call__(self, event: ProgressEvent) -> None:
        if event.state not in ("done", "skipped") or event.step in self._said:
            return
        self._said.add(event.step)
        # A step without a word of its own still shows (a progress line must never stop a run).
        word = _STEP_WORDS.get(event.step, str(event.step).replace("_", " "))
        print(f" {word}", end="", file=self._out, flush=True)
