"""Edits from Slack: the modal from what Meta holds, the diff on submit, cards in the thread.

The slow part (Meta's validation and the writes) runs in a small pool after the modal's ack; each
outcome is an edit card in the campaign's thread (``handlers.blocks.edits``), updated in place
when someone decides on it. An edit a crash interrupted is carried on by ``resume_stopped``
with the creations' pending work (``resume-edits``, every few seconds), and its card updated.
"""

from __future__ import annotations

import logging
import uuid
from concurrent.futures import Executor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.files import download_slack_file, release_upload
from handlers.blocks.edits import (
    EditCard,
    build_edit_card,
    build_edit_modal,
    build_edit_sent_modal,
    build_history,
)
from handlers.edit_form import FormMedia, edit_form_media, field_errors, parse_edit_form
from handlers.ids import EditAction
from meta.domain.access import Actor
from meta.domain.edits import LABELS, VIDEO_FIELDS, step_label
from meta.domain.errors import AdBeeError, ValidationError
from meta.domain.records import EditRecord, EditStatus
from meta.services.edits import EditError, EditService, budget_note

log = logging.getLogger(__name__)
# Once an edit is here, its downloaded video or image is needed no more (Finish of an incomplete
# edit may still upload it; an edit awaiting approval will).
_DONE_WITH_FILE = frozenset(
    {EditStatus.APPLIED, EditStatus.REFUSED, EditStatus.REJECTED, EditStatus.UNDONE}
)
LABELS_FIELD = "video"  # a problem with the attached file is shown on the file input


class EditFlow:
    def __init__(
        self,
        *,
        client: WebClient,
        edits: EditService,
        channel: str,
        executor: Executor | None = None,
        work_dir: Path | None = None,
    ) -> None:
        self._client = client
        self._edits = edits
        self._channel = channel
        # Where a new video or image attached in the modal is downloaded to; it stays there
        # until the edit is decided and applied (the upload reads it then).
        self._work_dir = work_dir or Path("uploads")
        self._executor = executor or ThreadPoolExecutor(2, thread_name_prefix="adbee-edit")

    # ------------------------------------------------------------------ the modal
    def editor(self, ref: str | int, media_problem: str | None = None) -> dict[str, Any]:
        row = self._edits.campaign(ref)
        account = self._edits.account_of(row)
        state = self._edits.read_state(row)
        return build_edit_modal(
            campaign_id=row.id,
            name=row.name,
            state=state,
            currency=account.currency,
            tz=account.timezone,
            media_problem=media_problem,
        )

    def check(
        self, campaign_id: int, values: dict[str, Any] | None
    ) -> tuple[dict[str, str], dict[str, Any]]:
        row = self._edits.campaign(campaign_id)
        account = self._edits.account_of(row)
        wanted = parse_edit_form(values, account.timezone)
        media, problem = edit_form_media(values)
        problems = [(LABELS_FIELD, problem)] if problem else []
        try:
            _state, proposal = self._edits.propose(row, wanted)
        except ValidationError as exc:
            problems += [(p.field, p.message) for p in exc.problems]
            proposal = None
        if problems or proposal is None:
            return field_errors(problems), {}
        if proposal.empty and media is None:
            return field_errors([("daily_budget", "Nothing changed: Meta shows these values.")]), {}
        cur, tz = account.currency, account.timezone
        later = proposal.later.lines(cur, tz) if proposal.later else []
        if media is not None:  # its bytes are checked once downloaded, before anything is sent
            later.append(f"{LABELS[media.field]}: {media.file.name or 'the attached file'}")
        view = build_edit_sent_modal(
            name=row.name,
            now=proposal.now.lines(cur, tz) if proposal.now else [],
            later=later,
            approvers=budget_note(account, proposal.later) if proposal.later else None,
        )
        return {}, view

    def start(
        self,
        campaign_id: int,
        values: dict[str, Any] | None,
        *,
        user_id: str,
        team_id: str | None,
        view_id: str | None = None,
    ) -> None:
        self._executor.submit(self._submit, campaign_id, values, Actor(user_id, team_id), view_id)

    def _submit(
        self,
        campaign_id: int,
        values: dict[str, Any] | None,
        actor: Actor,
        view_id: str | None = None,
    ) -> None:
        row = self._edits.campaign(campaign_id)
        account = self._edits.account_of(row)
        wanted = parse_edit_form(values, account.timezone)
        media, _problem = edit_form_media(values)
        downloaded: Path | None = None
        try:
            if media is not None:
                try:
                    downloaded = self._download(campaign_id, media)
                except (SlackApiError, OSError) as exc:  # nothing stored yet, nothing sent
                    log.warning("edit of #%s: the file did not download: %r", campaign_id, exc)
                    self._refuse(
                        campaign_id,
                        view_id,
                        f"{media.file.name or 'the file'} could not be fetched from Slack; "
                        "attach it again",
                    )
                    return
                wanted[media.field.value] = str(downloaded)
            done = self._edits.submit(campaign_id, wanted, actor, source="slack")
        except ValidationError as exc:  # the file's bytes (or a value changed meanwhile)
            if downloaded is not None:
                release_upload(downloaded, self._work_dir / "edits")
            self._refuse(campaign_id, view_id, "; ".join(p.message for p in exc.problems))
            return
        except EditError as exc:
            self._post_text(campaign_id, f":no_entry: The edit was not made: {exc.message}")
            return
        except AdBeeError as exc:  # Meta unreachable or throttling: the edit is kept
            self._post_text(
                campaign_id,
                f":hourglass_flowing_sand: The edit is not finished yet ({exc.message}); it is "
                "kept, and AdBee carries it on shortly.",
            )
            return
        except Exception:
            log.exception("edit of #%s failed", campaign_id)
            self._post_text(
                campaign_id,
                ":no_entry: The edit stopped on an error; it is kept and carried on shortly.",
            )
            return
        for edit in (done.applied, done.awaiting):
            if edit is not None:
                self.show(edit)

    def _download(self, campaign_id: int, media: FormMedia) -> Path:
        """The attached file, downloaded by its id with the bot's token (never a URL from the
        payload; ``bot.slack.files``); a picture is judged by its content afterwards."""
        folder = self._work_dir / "edits" / f"campaign-{campaign_id}-{uuid.uuid4().hex[:12]}"
        return download_slack_file(
            self._client,
            media.file.id,
            dest_dir=folder,
            video=media.field in VIDEO_FIELDS,
        ).path

    def _refuse(self, campaign_id: int, view_id: str | None, problem: str) -> None:
        """The file was refused once downloaded (nothing was sent to Meta): the form comes back
        with the reason above the file input, and the thread says it too (the user may have
        closed the form)."""
        text = f"The new video or image was refused, nothing was sent to Meta: {problem}"
        if view_id:
            try:
                self._client.views_update(
                    view_id=view_id, view=self.editor(campaign_id, media_problem=text)
                )
            except (SlackApiError, AdBeeError) as exc:
                log.info("could not show the refusal in the form: %r", exc)
        self._post_text(campaign_id, f":no_entry: {text}")

    # ------------------------------------------------------------------ decisions
    def decide(self, edit_id: int, verb: str, *, user_id: str, team_id: str | None) -> None:
        actor = Actor(user_id, team_id)
        match EditAction(verb):
            case EditAction.APPROVE:
                edit = self._edits.approve(edit_id, actor)
            case EditAction.REJECT:
                edit = self._edits.reject(edit_id, actor)
            case EditAction.FINISH:
                edit = self._edits.apply(edit_id, actor=user_id)
            case EditAction.UNDO:
                edit = self._edits.undo(edit_id, actor)
        self.show(edit)

    def history(self, ref: str) -> dict[str, Any]:
        row = self._edits.campaign(ref)
        return build_history(row.name, row.id, self._edits.history(row.id))

    # ------------------------------------------------------------------ cards
    def show(self, edit: EditRecord) -> None:
        """Post the edit's card in the campaign's thread, or update it where it is (and let go
        of the edit's downloaded file once it is decided and done)."""
        if edit.status in _DONE_WITH_FILE:
            self._release_file(edit)
        row = self._edits.campaign(edit.campaign_id)
        account = self._edits.account_of(row)
        plan = EditService.plan(edit)
        card = build_edit_card(
            EditCard(
                edit_id=edit.id,
                campaign_id=row.id,
                campaign_name=row.name,
                status=edit.status,
                lines=tuple(self._edits.lines(edit)),
                requested_by=edit.requested_by,
                approved_by=edit.approved_by,
                approvers=budget_note(account, plan),
                error=edit.error,
                done=tuple(
                    step_label(d) for d in edit.progress.get("done") or [] if d != "validated"
                ),
                creative_id=edit.progress.get("creative_id"),
                creative_ids=tuple(
                    (str(k), str(v)) for k, v in (edit.progress.get("creative_ids") or {}).items()
                ),
                new_ad_id=edit.progress.get("new_ad_id"),
            )
        )
        try:
            if edit.slack_channel and edit.slack_ts:
                self._client.chat_update(channel=edit.slack_channel, ts=edit.slack_ts, **card)
                return
            channel = row.slack_channel or self._channel
            if not channel:
                return
            posted = self._client.chat_postMessage(
                channel=channel, thread_ts=self._thread_of(row.slack_channel, row.slack_ts), **card
            )
            # Where the card is belongs to the edit in any status: an approver may already
            # have moved it on (a click on the card just posted), and its next render must
            # update this card, not post another.
            self._edits.edits.update_edit(
                edit.id,
                from_statuses=list(EditStatus),
                slack_channel=str(posted["channel"]),
                slack_ts=str(posted["ts"]),
            )
        except Exception as exc:  # the edit is in the database either way; history shows it
            log.warning("could not show edit %s in Slack: %r", edit.id, exc)

    def _release_file(self, edit: EditRecord) -> None:
        media = EditService.plan(edit).media
        path = getattr(media.after, "path", None) if media is not None else None
        if path:  # only a download of this flow's (under its work folder) is deleted
            release_upload(Path(path), self._work_dir / "edits")

    def _post_text(self, campaign_id: int, text: str) -> None:
        row = self._edits.campaign(campaign_id)
        channel = row.slack_channel or self._channel
        if not channel:
            return
        try:
            self._client.chat_postMessage(
                channel=channel,
                text=text,
                thread_ts=self._thread_of(row.slack_channel, row.slack_ts),
            )
        except Exception as exc:
            log.warning("could not post to #%s's thread: %r", campaign_id, exc)

    @staticmethod
    def _thread_of(channel: str | None, ts: str | None) -> str | None:
        """The campaign's message starts its thread; without one the card goes to the channel."""
        return ts if channel and ts else None

    # ------------------------------------------------------------------ crashed edits
    def resume_stopped(self) -> int:
        """Carry on edits a crash interrupted; their cards follow. Returns how many finished."""
        finished = self._edits.resume_stopped()
        for edit in finished:
            self.show(edit)
        return len(finished)
