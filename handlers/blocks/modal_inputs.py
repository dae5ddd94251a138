"""Free-entry inputs of the create modal (text, budget, times, video, link).

A prefill comes from a template file and may be wrong; Slack refuses the whole view over one bad
initial value, so a value that cannot be shown as given is left out and the domain's validation
says what is wrong once the user submits.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from handlers.blocks.common import plain, truncate
from handlers.ids import CampaignCreateBlock
from handlers.uploads import IMAGE_FILETYPES, MAX_FORM_FILES
from meta.domain.accounts import AccountConfig
from meta.domain.times import TimeParseError, parse_local_time
from meta.video.kinds import VIDEO_EXTENSIONS

_B = CampaignCreateBlock
# Between two primary texts in the one box (``handlers.forms.split_primary_texts``).
TEXT_SEPARATOR = "---"
# The box of each kind of text, the list a campaign file gives instead, and what joins the list in
# the box: primary texts are several lines themselves, headlines are one line each.
TEXT_BOXES = {
    "primary_text": ("primary_texts", f"\n{TEXT_SEPARATOR}\n"),
    "headline": ("headlines", "\n"),
}
# Slack's plain_text_input max_length maximum (slack_sdk.models PlainTextInputElement: 3000).
MAX_TEXT_INPUT = 3000


def input_block(block_id: str, label: str, element: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """An input block; ``hint`` becomes plain text, falsy flags (optional, dispatch) are left out."""
    block = {
        "type": "input",
        "block_id": str(block_id),
        "label": plain(label, 2000),
        "element": element,
    }
    if hint := extra.pop("hint", None):
        block["hint"] = plain(hint, 2000)
    return {**block, **{k: v for k, v in extra.items() if v}}


def text_input(
    block_id: str,
    action_id: str,
    label: str,
    value: object,
    max_length: int,
    *,
    multiline: bool = False,
    optional: bool = False,
    hint: str | None = None,
) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": action_id}
    element["max_length"] = max_length
    if multiline:
        element["multiline"] = True
    if isinstance(value, str | int | float) and str(value).strip():
        element["initial_value"] = str(value)[:max_length]
    return input_block(block_id, label, element, optional=optional, hint=hint)


def box_text(values: Mapping[str, object], single: str) -> object:
    """A prefill's text for one box: its list (a template's or a refused form's) joined as the
    box shows several, else the single value."""
    plural, separator = TEXT_BOXES[single]
    texts = values.get(plural)
    if isinstance(texts, list | tuple) and texts:
        return separator.join(str(t) for t in texts)
    return values.get(single)


def budget_input(
    account: AccountConfig, action_id: str, value: object, decimals: bool
) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "number_input",
        "action_id": action_id,
        "is_decimal_allowed": decimals,
        "min_value": "0.01" if decimals else "1",
    }
    try:
        amount = Decimal(str(value).replace(",", "")) if value not in (None, "") else None
    except InvalidOperation:
        amount = None
    whole = amount is not None and amount.is_finite() and amount == amount.to_integral_value()
    if amount is not None and amount.is_finite() and amount > 0 and (decimals or whole):
        element["initial_value"] = str(amount if decimals else int(amount))
    cap = (
        f" Up to {account.currency} {account.max_daily_budget}." if account.max_daily_budget else ""
    )
    return input_block(
        _B.DAILY_BUDGET,
        f"Daily budget ({account.currency})",
        element,
        hint=f"In {account.currency}, the currency of {account.name}.{cap}",
    )


def time_picker(
    block_id: str,
    action_id: str,
    label: str,
    value: object,
    account: AccountConfig,
    *,
    hint: str,
    optional: bool = False,
) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "datetimepicker", "action_id": action_id}
    if value not in (None, "") and not isinstance(value, bool):
        try:  # naive template times are in the account's timezone, like in the CLI
            moment = parse_local_time(value, account.timezone)
            element["initial_date_time"] = int(moment.timestamp())
        except (TimeParseError, ValueError, OverflowError, OSError):
            pass
    return input_block(block_id, label, element, optional=optional, hint=hint)


def video_input(action_id: str, template_video: str) -> dict[str, Any]:
    """Up to ``MAX_FORM_FILES`` videos and images, one ad each (Slack's most for one input)."""
    element = {
        "type": "file_input",
        "action_id": action_id,
        "filetypes": sorted(VIDEO_EXTENSIONS | IMAGE_FILETYPES),
        "max_files": MAX_FORM_FILES,
    }
    # Optional for Slack's client: the form check demands a file, a link or a template video.
    limits = f"up to {MAX_FORM_FILES} files of 10 MB each (Slack's limit for forms), one ad each"
    if template_video:
        hint = f"Leave empty to use the template's video, {truncate(template_video, 200)}."
    else:
        hint = (
            f"Videos (MP4, MOV, WebM, MKV, AVI, GIF…) and images (JPG, PNG; beside at least one "
            f"video), {limits}: the videos' ads first, then the images'."
        )
    return input_block(_B.VIDEO, "Videos and images", element, optional=True, hint=hint)


def video_link_input(action_id: str) -> dict[str, Any]:
    """Videos over Slack's 10 MB form limit: share them in a channel, paste the file's link."""
    element = {"type": "plain_text_input", "action_id": action_id, "max_length": 500}
    return input_block(
        _B.VIDEO_LINK,
        "Or a larger video already in Slack",
        element,
        optional=True,
        hint="Upload the video to any channel AdBee is in, choose Copy link on the file, "
        "and paste the link here.",
    )


def link_input(action_id: str, value: object, max_length: int) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "url_text_input", "action_id": action_id}
    if (
        isinstance(value, str)
        and value.startswith(("https://", "http://"))
        and len(value) <= max_length
    ):
        element["initial_value"] = value
    element["placeholder"] = plain("https://shop.example.com/product", 150)
    return input_block(_B.LINK, "Landing page", element)
