"""A launch sheet's rows as create forms (pure): what ``/campaign bulk`` records for each row.

A row holds the campaign-file fields (``meta.domain.sheet``); a create form holds strings and
Slack files. Each row becomes the form its campaign would have had from the create modal, so it
takes the same road afterwards (recorded before the ack, downloaded, checked by content,
created, its own card with Approve/Reject). Its videos are the files attached in the bulk modal
whose names the row's ``video``/``videos`` cell gives (a path's folders are ignored: in Slack a
file is known by its name), else files shared earlier in the channel the command was typed in,
or the Slack files a cell links to.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from handlers.forms import CampaignForm
from handlers.uploads import SlackFile, file_id_from_link


def video_names(fields: Mapping[str, Any]) -> list[str]:
    """What a row's ``video`` or ``videos`` cell names, in order: a file name (a path's folders
    dropped), or a Slack file link or id kept whole (``file_id_from_link``: the file itself)."""
    value = fields.get("videos") or fields.get("video") or []
    names = value if isinstance(value, list) else [value]
    return [
        str(name).strip() if file_id_from_link(str(name)) else PurePath(str(name)).name
        for name in names
        if str(name).strip()
    ]


def row_form(fields: Mapping[str, Any], files: Sequence[SlackFile]) -> CampaignForm:
    """The create form of one row, ``files`` its attached videos in the row's order.

    Several primary texts go into the one box separated by a ``---`` line and several headlines
    one per line, exactly as a user types them in the create modal (``handlers.forms``).
    """

    def text(single: str, plural: str, joiner: str) -> str | None:
        value = fields.get(plural)
        if isinstance(value, list):
            return joiner.join(str(v) for v in value)
        found = fields.get(single)
        return str(found) if found is not None else None

    countries = fields.get("countries") or []
    if isinstance(countries, str):
        countries = [countries]

    def scalar(name: str) -> str | None:
        value = fields.get(name)
        return str(value) if value is not None else None

    return CampaignForm(
        account=scalar("account"),
        name=scalar("name"),
        daily_budget=scalar("daily_budget"),
        start_time=scalar("start_time"),
        end_time=scalar("end_time"),
        countries=tuple(str(c).strip().upper() for c in countries if str(c).strip()),
        primary_text=text("primary_text", "primary_texts", "\n---\n"),
        headline=text("headline", "headlines", "\n"),
        description=scalar("description"),
        link=scalar("link"),
        call_to_action=scalar("call_to_action"),
        url_tags=scalar("url_tags"),
        files=tuple(files),
    )


# Fields a create form has no room for: a row giving them is refused by name.
FORM_LESS = ("images", "creative_mode")


@dataclass(frozen=True)
class BulkPlan:
    """A checked sheet: ``errors`` by modal block (each naming its row and field), or the create
    form of every row with its row number."""

    errors: dict[str, str] = field(default_factory=dict)
    forms: tuple[tuple[int, CampaignForm], ...] = ()
