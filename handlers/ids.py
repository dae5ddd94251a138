"""Every callback_id, action_id and block_id AdBee puts on a Slack surface, spelled once.

Listeners, builders and tests import these members instead of repeating strings, so renaming an
id is one edit and a typo is an ``AttributeError`` rather than a button that silently does nothing.
Values are kebab-case and prefixed with their feature (Dispatch's ``incident/enums.py`` style).
"""

from __future__ import annotations

import re
from enum import StrEnum


class CampaignCreate(StrEnum):
    """The ``/campaign create`` modal itself."""

    CALLBACK = "campaign-create"


class CampaignCreateBlock(StrEnum):
    """Block id of each input in the create modal; ``response_action: errors`` is keyed by these."""

    TEMPLATE = "campaign-create-template"
    ACCOUNT = "campaign-create-account"
    NAME = "campaign-create-name"
    DAILY_BUDGET = "campaign-create-daily-budget"
    START_TIME = "campaign-create-start-time"
    END_TIME = "campaign-create-end-time"
    COUNTRIES = "campaign-create-countries"
    VIDEO = "campaign-create-video"
    VIDEO_LINK = "campaign-create-video-link"
    PRIMARY_TEXT = "campaign-create-primary-text"
    HEADLINE = "campaign-create-headline"
    DESCRIPTION = "campaign-create-description"
    LINK = "campaign-create-link"
    CALL_TO_ACTION = "campaign-create-call-to-action"
    URL_TAGS = "campaign-create-url-tags"
    INTRO = "campaign-create-intro"  # context line, not an input
    DUPLICATE_INTRO = "campaign-create-duplicate-intro"  # which campaign a duplicate copies
    TEMPLATE_NOTES = "campaign-create-template-notes"  # context: templates that were skipped


class CampaignCreateAction(StrEnum):
    """Action id of each element in the create modal.

    Slack keeps what the user typed across ``views.update`` while block_id *and* action_id stay the
    same, and then ignores new ``initial_*`` values. Block ids must stay stable (errors are keyed by
    them), so the modal builder appends a revision to these action ids when a template prefills the
    form (see ``revisioned``). TEMPLATE never rotates (the user's own choice, and the trigger), nor
    does VIDEO (a file input has no initial value, so rotating would only drop the upload).
    Listen for ACCOUNT with ``action_pattern(CampaignCreateAction.ACCOUNT)``.
    """

    TEMPLATE = "campaign-create-template-select"
    ACCOUNT = "campaign-create-account-select"
    NAME = "campaign-create-name-input"
    DAILY_BUDGET = "campaign-create-daily-budget-input"
    START_TIME = "campaign-create-start-time-picker"
    END_TIME = "campaign-create-end-time-picker"
    COUNTRIES = "campaign-create-countries-select"
    VIDEO = "campaign-create-video-file"
    VIDEO_LINK = "campaign-create-video-link-input"
    PRIMARY_TEXT = "campaign-create-primary-text-input"
    HEADLINE = "campaign-create-headline-input"
    DESCRIPTION = "campaign-create-description-input"
    LINK = "campaign-create-link-input"
    CALL_TO_ACTION = "campaign-create-call-to-action-select"
    URL_TAGS = "campaign-create-url-tags-input"


class CampaignBulk(StrEnum):
    """The ``/campaign bulk`` modal (a launch sheet and its videos) and its batch message."""

    CALLBACK = "campaign-bulk"
    SHEET_BLOCK = "campaign-bulk-sheet"
    SHEET = "campaign-bulk-sheet-file"
    VIDEOS_BLOCK = "campaign-bulk-videos"
    VIDEOS = "campaign-bulk-videos-file"
    APPROVE_ALL = "campaign-bulk-approve-all"
    BATCH_ACTIONS = "campaign-bulk-batch-actions"
    BATCH_ROW = "campaign-bulk-row"  # a row's Approve/Reject block, suffixed with its campaign id


class CampaignAction(StrEnum):
    """Buttons on approval, status and alert messages; each carries ``ActionMetadata`` as value."""

    APPROVE = "campaign-approve"
    REJECT = "campaign-reject"
    # Reject one ad of a campaign of several (a button per ad, or a select on a card of many);
    # the value names the ad: ``ActionMetadata(campaign_id, ad)``.
    REJECT_AD = "campaign-reject-ad"
    CANCEL = "campaign-cancel"
    PAUSE = "campaign-pause"
    RESUME = "campaign-resume"
    ACTIVATE = "campaign-activate"
    SYNC = "campaign-sync"
    RESUME_CREATION = "campaign-resume-creation"
    REAPPLY = "campaign-reapply"
    # Posts ``/campaign report <id>`` (default range) in the campaign's thread.
    REPORT = "campaign-report"
    # A link button (Open in Ads Manager): Slack opens the URL and still sends the click,
    # which must be acknowledged.
    OPEN_ADS_MANAGER = "campaign-open-ads-manager"
    EDIT = "campaign-edit"
    DUPLICATE = "campaign-duplicate"
    # On a disapproval alert: the edit modal with Meta's reason on top.
    RESUBMIT = "campaign-edit-resubmit"


class CampaignEdit(StrEnum):
    """The edit modal (``/campaign edit``, the Edit button)."""

    CALLBACK = "campaign-edit-modal"


class CampaignEditBlock(StrEnum):
    """Block id of each input of the edit modal (``response_action: errors`` is keyed by these);
    each input's action id is its block id with ``-input``; names are ``EditField`` names."""

    DAILY_BUDGET = "campaign-edit-daily-budget"
    END_TIME = "campaign-edit-end-time"
    COUNTRIES = "campaign-edit-countries"
    PRIMARY_TEXT = "campaign-edit-primary-text"
    HEADLINE = "campaign-edit-headline"
    DESCRIPTION = "campaign-edit-description"
    LINK = "campaign-edit-link"
    CALL_TO_ACTION = "campaign-edit-call-to-action"
    URL_TAGS = "campaign-edit-url-tags"
    # One file input for a new video or image (``video``/``image``/``add_video``/``add_image``
    # by its type and the mode beside it: replace the first ad's, or add an ad).
    MEDIA = "campaign-edit-media"
    MEDIA_MODE = "campaign-edit-media-mode"
    MEDIA_PROBLEM = "campaign-edit-media-problem"  # a downloaded file refused: why, above it
    INTRO = "campaign-edit-intro"  # context line, not an input
    REVIEW_REASON = "campaign-edit-review-reason"  # Meta's disapproval, on a re-submit
    ACTIONS = "campaign-edit-actions"  # an edit card's buttons


class EditAction(StrEnum):
    """Buttons on an edit's card; each carries ``EditMetadata`` (the edit's id) as value."""

    APPROVE = "campaign-edit-approve"
    REJECT = "campaign-edit-reject"
    FINISH = "campaign-edit-finish"
    UNDO = "campaign-edit-undo"


class CampaignMessageBlock(StrEnum):
    """Block ids of campaign messages, so ``chat.update`` replaces like with like."""

    HEADER = "campaign-message-header"
    SUMMARY = "campaign-message-summary"
    STATUS = "campaign-message-status"
    STEPS = "campaign-message-steps"
    FILES = "campaign-message-files"  # one line per file of a campaign of several ads
    DETAIL = "campaign-message-detail"
    WARNINGS = "campaign-message-warnings"
    ADS = "campaign-message-ads"
    AD = "campaign-message-ad"  # one ad's line on the approval card: ``campaign-message-ad-3``
    AD_ACTIONS = "campaign-message-ad-actions"  # its Reject button: ``…-ad-actions-3``
    ADVANTAGE = "campaign-message-advantage"
    THUMBNAIL = "campaign-message-thumbnail"
    PREVIEWS = "campaign-message-previews"
    CHOICES = "campaign-message-choices"
    CHANGED = "campaign-message-changed"
    BIG_SPEND = "campaign-message-big-spend"
    REAPPLY = "campaign-message-reapply"
    RESUBMIT = "campaign-message-resubmit"  # Edit and re-submit, on a disapproval alert
    DRIFT = "campaign-message-drift"
    IDS = "campaign-message-ids"
    ACTIONS = "campaign-message-actions"
    ERROR = "campaign-message-error"


class HomeBlock(StrEnum):
    """Fixed block ids of the App Home tab (campaign blocks carry their id: ``home-c12``)."""

    INTRO = "home-intro"


# Which modal block shows a problem the domain reports for a ``campaign_spec`` field. "file" is
# what build_spec names a problem with the request as a whole or the uploaded file.
FIELD_TO_BLOCK: dict[str, CampaignCreateBlock] = {
    "template": CampaignCreateBlock.TEMPLATE,
    "account": CampaignCreateBlock.ACCOUNT,
    "name": CampaignCreateBlock.NAME,
    "daily_budget": CampaignCreateBlock.DAILY_BUDGET,
    "start_time": CampaignCreateBlock.START_TIME,
    "end_time": CampaignCreateBlock.END_TIME,
    "countries": CampaignCreateBlock.COUNTRIES,
    "video": CampaignCreateBlock.VIDEO,
    "videos": CampaignCreateBlock.VIDEO,  # several files attached
    "images": CampaignCreateBlock.VIDEO,
    "file": CampaignCreateBlock.VIDEO,
    "primary_text": CampaignCreateBlock.PRIMARY_TEXT,
    "primary_texts": CampaignCreateBlock.PRIMARY_TEXT,  # several, split by the form
    "headline": CampaignCreateBlock.HEADLINE,
    "headlines": CampaignCreateBlock.HEADLINE,
    "description": CampaignCreateBlock.DESCRIPTION,
    "link": CampaignCreateBlock.LINK,
    "call_to_action": CampaignCreateBlock.CALL_TO_ACTION,
    "url_tags": CampaignCreateBlock.URL_TAGS,
}
# Unknown fields go to the account block: always present and at the top, so the user sees it.
FALLBACK_BLOCK = CampaignCreateBlock.ACCOUNT

_REVISION = re.compile(r"^[0-9a-f]{1,16}$")


def revisioned(action: CampaignCreateAction, revision: str) -> str:
    """``action`` with a revision suffix, forcing Slack to apply new initial values."""
    if not revision:
        return str(action)
    if not _REVISION.match(revision):
        raise ValueError(f"revision must be 1-16 lowercase hex digits, got {revision!r}")
    return f"{action}.{revision}"


def action_pattern(action: CampaignCreateAction) -> re.Pattern[str]:
    """Matches ``action`` with or without a revision: pass it to ``app.action(...)``."""
    return re.compile(rf"^{re.escape(action)}(?:\.[0-9a-f]{{1,16}})?$")
