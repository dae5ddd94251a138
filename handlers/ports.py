"""What listeners ask of the rest of the bot, as protocols; the composition root supplies them.

Listeners get these through Bolt's context (``context["creation"]`` arrives as a ``creation``
argument), so they stay four-line functions and tests can hand them fakes.
"""

from __future__ import annotations

from typing import Protocol

from handlers.bulk_sheet import BulkPlan
from handlers.forms import CampaignForm
from handlers.uploads import SlackFile
from meta.domain.access import Actor
from meta.services.summary import CampaignSummary


class CreationPort(Protocol):
    def check_form(self, form: CampaignForm) -> dict[str, str]:
        """Field errors by block id; empty when the form may be submitted."""
        ...

    def record(
        self, form: CampaignForm, *, key: str, user_id: str, team_id: str | None, view_id: str
    ) -> int | None:
        """Record an accepted submission durably, before its ack; None for a redelivery of one
        recorded before. Raises ``AdBeeError`` when it cannot be recorded (nothing was started)."""
        ...

    def start(self, request_id: int) -> None:
        """Start the slow part (download, checks, Meta) of a recorded request in the worker pool."""
        ...

    def resume(self, campaign_id: int, *, user_id: str, team_id: str | None) -> None:
        """Carry on a stopped creation (after the caller's permission check) in the worker pool."""
        ...


class MessagePort(Protocol):
    def refresh_campaign_message(self, summary: CampaignSummary) -> None:
        """Re-render the campaign's channel message after a decision or state change."""
        ...


class HomePort(Protocol):
    def publish_home(self, user_id: str) -> None:
        """Publish ``user_id``'s Home tab from the campaigns as they are now."""
        ...


class EditPort(Protocol):
    """Edits of campaigns from Slack (``bot.slack.edit_flow.EditFlow``)."""

    def editor(self, ref: str) -> dict:
        """The edit modal for the campaign ``ref`` (id or name), pre-filled from Meta.
        Raises ``AdBeeError`` (unknown, not editable, Meta unreachable) with a message."""
        ...

    def check(self, campaign_id: int, values: dict | None) -> tuple[dict[str, str], dict]:
        """(errors by block id, the "sent" view with the diff) for a submitted modal."""
        ...

    def start(
        self,
        campaign_id: int,
        values: dict | None,
        *,
        user_id: str,
        team_id: str | None,
        view_id: str | None = None,
    ) -> None:
        """Apply what needs no approval and post an approval card for the rest, in the
        background; a new video or image is downloaded and checked first (refused: the form
        ``view_id`` comes back with the reason)."""
        ...

    def decide(self, edit_id: int, verb: str, *, user_id: str, team_id: str | None) -> None:
        """Approve, reject, finish or undo an edit (``EditAction`` values), then update its card.
        Raises ``AdBeeError`` with a message for the clicker on a refusal."""
        ...

    def history(self, ref: str) -> dict:
        """``/campaign history``'s ephemeral answer."""
        ...


class BulkPort(Protocol):
    def check(
        self, sheet: SlackFile | None, videos: tuple[SlackFile, ...], *, channel: str | None
    ) -> BulkPlan:
        """Every row of the sheet checked (the sheet read from Slack within the ack window);
        the plan's errors are by block id, each naming its row and field. A video a row names
        that is not among ``videos`` is looked for among the files shared in ``channel``."""
        ...

    def launch(
        self, plan: BulkPlan, *, key: str, user_id: str, team_id: str | None, view_id: str
    ) -> list[int]:
        """Record every row as a create request (durably, before the ack); their ids, or none
        for a redelivery. Raises ``AdBeeError`` when they cannot be recorded."""
        ...

    def start(self, plan: BulkPlan, request_ids: list[int], *, user_id: str) -> None:
        """Post the batch message (with Approve all) and start every row in the batch's lane."""
        ...

    def approve_all(self, value: str, actor: Actor, *, channel: str, ts: str) -> None:
        """Approve every campaign of the batch ``value`` names, each under its own rules, and
        say in the batch's thread what was approved and why the others were not."""
        ...


class DuplicatePort(Protocol):
    """Duplicates of campaigns from Slack (``bot.slack.creation_flow.CreationFlow``)."""

    def duplicator(self, ref: str) -> dict:
        """The create modal pre-filled from the campaign ``ref`` (id or name) as Meta holds it.
        Raises ``AdBeeError`` (unknown, not in Meta yet, Meta unreachable) with a message."""
        ...


class ResubmitPort(Protocol):
    """Edit and re-submit after a disapproval (``bot.slack.resubmit_flow.ResubmitFlow``)."""

    def resubmitter(self, campaign_id: int) -> dict:
        """The edit modal with Meta's reason for the disapproval on top."""
        ...

    def resubmitted(self, campaign_id: int, *, user_id: str) -> None:
        """Audit the submitted re-submit (the edit itself is audited by the edit service)."""
        ...
