"""``/campaign bulk`` on the bot's side: read the sheet from Slack, check every row, record each
as a create request, post the batch message, and Approve all.

Each row takes the road a single create form takes (``CreationFlow``: recorded before the ack,
its videos downloaded and checked by content, created with live progress), but shows in the
batch message, not in messages of its own (``BatchBoard``): its progress, then its Approve and
Reject there; in a worker lane of its own batch (``FairPool``), so a colleague's single
campaign never waits behind a fifty-row sheet. The videos a row names are the files attached in
the same modal, by file name; one used by several rows is uploaded to Meta once per ad account
(``meta.services.shared_videos``).

A video a row names that is not attached may already be in Slack: shared earlier in the channel
the command was typed in, it is found there by its name (Slack's ``files.list`` with ``channel``,
newest first, at most ``LISTED_FILES`` files looked at; the latest share of a name wins), or a
cell may give the file's Slack link (``files.info``). What cannot be found is refused on its row
before anything is recorded or sent to Meta.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.batch_board import parts_of
from bot.slack.campaign_messages import CampaignMessages
from bot.slack.creation_flow import CreationFlow, RequestStatus
from bot.slack.files import download_slack_file
from bot.slack.posts import post_once
from handlers.blocks.bulk import (
    BatchOutcome,
    BoardRow,
    build_batch_board,
    build_batch_outcome,
    read_approve_all,
)
from handlers.bulk_sheet import FORM_LESS, BulkPlan, row_form, video_names
from handlers.forms import split_headlines, split_primary_texts
from handlers.ids import CampaignBulk
from handlers.uploads import SlackFile, file_id_from_link, read_file
from meta.domain.access import Actor
from meta.domain.errors import AdBeeError, ValidationError
from meta.domain.sheet import MAX_SHEET_BYTES, SheetError, decode_sheet, read_sheet
from meta.domain.states import Status
from meta.services.campaigns import CampaignService
from meta.services.lifecycle import CampaignLifecycle
from storage.requests import CreationRequestStore

log = logging.getLogger(__name__)

# Rows one modal takes (the batch messages and Approve all's outcome reply are sized for it); a
# longer launch goes through the CLI's --sheet.
MAX_SLACK_ROWS = 100
ERROR_LIMIT = 2000  # characters of one field error the modal shows
# files.list is paged ``count`` at a time (default 100, slack_sdk ``files_list``); the sheet is
# checked within Slack's 3-second ack window, so a channel's most recent 300 files are looked at.
LIST_PAGE = 100
LISTED_FILES = 300


class BulkLaunch:
    """Implements ``handlers.ports.BulkPort``."""

    def __init__(
        self,
        *,
        client: WebClient,
        campaigns: CampaignService,
        creation: CreationFlow,
        requests: CreationRequestStore,
        lifecycle: CampaignLifecycle,
        messages: CampaignMessages,
        channel: str,
    ) -> None:
        self._client = client
        self._campaigns = campaigns
        self._creation = creation
        self._requests = requests
        self._lifecycle = lifecycle
        self._messages = messages
        self._channel = channel

    # ------------------------------------------------------------------ check
    def check(
        self, sheet: SlackFile | None, videos: tuple[SlackFile, ...], *, channel: str | None = None
    ) -> BulkPlan:
        if sheet is None or not sheet.id:
            return _refused("Attach the launch sheet: a CSV with one campaign per row.")
        try:
            rows = read_sheet(decode_sheet(self._sheet_bytes(sheet)))
        except SheetError as exc:
            return _refused("; ".join(f"row {p.row}, {p.field}: {p.message}" for p in exc.problems))
        except AdBeeError as exc:
            return _refused(exc.message)
        if len(rows) > MAX_SLACK_ROWS:
            return _refused(
                f"{len(rows)} rows; a bulk launch in Slack takes at most {MAX_SLACK_ROWS} "
                "(use python -m bot create --sheet for more)"
            )
        by_name: dict[str, SlackFile] = {file.name: file for file in videos if file.name}
        wanted = {name for row in rows for name in video_names(row.fields)}
        not_found = self._already_in_slack(wanted - set(by_name), channel, by_name)
        problems: list[str] = []
        forms = []
        seen: dict[tuple[str, str], int] = {}
        for row in rows:
            names = video_names(row.fields)
            missing = [name for name in names if name not in by_name]
            form = row_form(row.fields, [by_name[n] for n in names if n in by_name])
            found = [
                f"{field}: not in the bulk form yet" for field in FORM_LESS if field in row.fields
            ]
            if not names:
                found.append("videos: required (the file names of the videos attached below)")
            for name in missing:
                found.append(f"videos: {not_found.get(name) or _not_found(name, channel)}")
            for field, texts in (
                ("primary_texts", split_primary_texts(form.primary_text)),
                ("headlines", split_headlines(form.headline)),
            ):
                if names and len(texts) > 1 and len(texts) != len(names):
                    found.append(
                        f"{field}: {len(texts)} texts for {len(names)} videos; give one (every "
                        "ad shows it) or one per video (ad N shows text N)"
                    )
            try:
                self._campaigns.check_without_video(form.to_request())
            except ValidationError as exc:
                found += [f"{p.field}: {p.message}" for p in exc.problems]
            key = (form.account or "", form.name or "")
            if form.name and key in seen:
                found.append(f"name: {form.name!r} is also in row {seen[key]}")
            seen.setdefault(key, row.number)
            problems += [f"row {row.number}, {text}" for text in found]
            forms.append((row.number, form))
        if problems:
            return _refused(
                f"{len(problems)} problem(s), nothing was created: " + "; ".join(problems)
            )
        return BulkPlan(forms=tuple(forms))

    def _already_in_slack(
        self, names: set[str], channel: str | None, by_name: dict[str, SlackFile]
    ) -> dict[str, str]:
        """Find the named videos not attached: a Slack link by ``files.info``, a file name among
        the files shared in ``channel``. Adds what is found to ``by_name``; returns why each
        other one was not found, by name (a name simply absent is left to ``_not_found``)."""
        why: dict[str, str] = {}
        for ref in sorted(names):
            file_id = file_id_from_link(ref)
            if file_id is None:
                continue
            try:
                by_name[ref] = read_file(self._client.files_info(file=file_id)["file"])
            except SlackApiError as exc:
                error = exc.response.get("error") if exc.response is not None else None
                why[ref] = (
                    f"AdBee cannot read the Slack file {ref} ({error}); share it in a channel "
                    "AdBee is in, or attach it below"
                )
        wanted = {name for name in names if file_id_from_link(name) is None}
        if not wanted or not channel:
            return why
        latest: dict[str, tuple[float, SlackFile]] = {}
        try:
            for page in range(1, LISTED_FILES // LIST_PAGE + 1):
                answer = self._client.files_list(channel=channel, count=LIST_PAGE, page=page)
                for item in answer.get("files") or []:
                    name, created = str(item.get("name") or ""), float(item.get("created") or 0)
                    if name in wanted and created >= latest.get(name, (-1.0, None))[0]:
                        latest[name] = (created, read_file(item))
                if page >= int((answer.get("paging") or {}).get("pages") or 1):
                    break
        except SlackApiError as exc:
            error = exc.response.get("error") if exc.response is not None else None
            for name in wanted:
                why[name] = (
                    f"{name} is not attached below, and Slack did not let AdBee look among the "
                    f"files shared in this channel ({error}); attach it below"
                )
            return why
        by_name.update({name: file for name, (_created, file) in latest.items()})
        return why

    def _sheet_bytes(self, sheet: SlackFile) -> bytes:
        with tempfile.TemporaryDirectory(prefix="adbee-sheet-") as folder:
            downloaded = download_slack_file(
                self._client,
                sheet.id,
                dest_dir=Path(folder),
                max_bytes=MAX_SHEET_BYTES,
                timeout=2,
                video=False,
            )
            return Path(downloaded.path).read_bytes()

    # ------------------------------------------------------------------ launch
    def launch(
        self, plan: BulkPlan, *, key: str, user_id: str, team_id: str | None, view_id: str
    ) -> list[int]:
        ids = []
        for number, form in plan.forms:
            request_id = self._creation.record(
                form, key=f"{key}:row{number}", user_id=user_id, team_id=team_id, view_id=view_id
            )
            if request_id is not None:
                ids.append(request_id)
        return ids

    def start(self, plan: BulkPlan, request_ids: list[int], *, user_id: str) -> None:
        """Post the batch message(s), show each row in one, then start the rows.

        Each row is recorded in its message before it starts (``join_batch``), so it never
        posts a progress message or a card of its own, and a restart finds it there. A message
        Slack did not take leaves its rows on their own: each posts its progress and card as a
        single creation does, so nothing is lost.
        """
        batch = f"B{request_ids[0]}"
        numbers = [number for number, _form in plan.forms]
        if len(numbers) != len(request_ids):  # some rows were recorded by an earlier delivery
            numbers = list(range(1, len(request_ids) + 1))
        names = [form.name or "" for _number, form in plan.forms]
        board = self._messages.board
        pairs = list(zip(numbers, request_ids, strict=True))
        for index, rows in enumerate(parts_of(len(pairs)), start=1):
            mine = [pairs[i] for i in rows]
            try:
                posted = post_once(
                    self._client,
                    key=f"bulk:{batch}" if index == 1 else f"bulk:{batch}:part{index}",
                    channel=self._channel,
                    **build_batch_board(
                        batch=batch,
                        rows=[
                            BoardRow(row=n, name=names[i] if i < len(names) else "")
                            for i, (n, _id) in zip(rows, mine, strict=True)
                        ],
                        requested_by=user_id,
                        total=len(pairs),
                        part=index,
                        parts_count=len(parts_of(len(pairs))),
                    ),
                )
                if board is not None:
                    for number, request_id in mine:
                        self._requests.join_batch(
                            request_id,
                            batch=batch,
                            row=number,
                            channel=posted.channel,
                            ts=posted.ts,
                        )
            except Exception:  # its rows post their own progress and cards instead
                log.exception("could not post message %s of bulk batch %s", index, batch)
        for request_id in request_ids:
            self._creation.start(request_id, lane=f"bulk:{batch}")

    # ------------------------------------------------------------------ approve all
    def approve_all(self, value: str, actor: Actor, *, channel: str, ts: str) -> None:
        """Approve every row of the batch ``value`` names, each under its own approval rules,
        then reply in the thread of the message clicked (``channel``/``ts``) with every row's
        outcome.

        The rows are read from the store (``in_batch``), so one click covers every message of
        a multi-message batch. A button posted before that (its value lists its own message's
        rows) approves those rows only, as its confirm dialog said. Two clicks at once, or a
        click beside someone's Approve of one row, approve each campaign once:
        ``CampaignLifecycle.approve`` moves CREATED to SCHEDULED by compare-and-set, and the
        loser's row says why in its outcome.
        """
        try:
            named = read_approve_all(value)
        except ValueError:
            raise AdBeeError(
                "This button's data is not valid; approve each campaign on its row."
            ) from None
        if named.rows is not None:
            rows = list(named.rows)
        else:
            rows = [(r.batch_row or 0, r.id) for r in self._requests.in_batch(named.batch)]
        if not rows:
            raise AdBeeError(
                "AdBee has no record of this batch's campaigns; approve each campaign on its row."
            )
        outcomes = [self._approve_one(row, request_id, actor) for row, request_id in rows]
        reply = build_batch_outcome(outcomes, approver=actor.user_id)
        self._client.chat_postMessage(
            channel=channel or self._channel, thread_ts=ts or None, **reply
        )

    def _approve_one(self, row: int, request_id: int, actor: Actor) -> BatchOutcome:
        request = self._requests.get(request_id)
        name = str((request.form if request else {}).get("name") or f"request {request_id}")
        if request is not None and request.status in (RequestStatus.REFUSED, RequestStatus.FAILED):
            return BatchOutcome(row, name, False, f"not created: {request.error or 'see its row'}")
        if request is None or request.campaign_id is None:
            return BatchOutcome(
                row, name, False, "still being created; approve it on its row when it is ready"
            )
        summary = self._campaigns.get(request.campaign_id)
        if summary is not None and summary.status == Status.CREATING:
            return BatchOutcome(
                row, name, False, "still being created; approve it on its row when it is ready"
            )
        try:
            approved = self._lifecycle.approve(request.campaign_id, actor)
        except AdBeeError as exc:
            return BatchOutcome(row, summary.name if summary else name, False, exc.message)
        try:
            self._messages.refresh_campaign_message(approved)
        except Exception:  # the card catches up at its next refresh
            log.exception("could not refresh the card of #%s", approved.id)
        return BatchOutcome(row, approved.name, True, "approved")


def _not_found(name: str, channel: str | None) -> str:
    if file_id_from_link(name):
        return f"the Slack file {name} was not found"
    where = (
        f" nor among the {LISTED_FILES} most recent files shared in this channel" if channel else ""
    )
    return f"{name} is not attached below{where}"


def _refused(text: str) -> BulkPlan:
    if len(text) > ERROR_LIMIT:
        text = text[: ERROR_LIMIT - 1] + "…"
    return BulkPlan(errors={str(CampaignBulk.SHEET_BLOCK): text})
