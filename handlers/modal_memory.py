"""What the create modal was prefilled with, carried in its ``private_metadata``.

After ``views.update`` sets new initial values (a template was chosen, the account changed, the
form came back refused), Slack may leave the inputs the user did not touch out of the submitted
``state.values`` [P: bolt-js#1258, bolt-python#572]: the fields look filled on screen but arrive
empty. The prefill is therefore also written into the view's ``private_metadata`` (which Slack
returns with every submission) and ``parse_campaign_form`` fills any input block that is absent
from ``state.values`` from it. A block that is present but empty was cleared by the user and stays
empty.

``private_metadata`` holds at most 3,000 characters: the template key always fits; if the values
do not, the longest are left out (a field missing from both reads as empty, and the form check
names it, so nothing is lost silently).
"""

from __future__ import annotations

import json
from collections.abc import Mapping

MAX_METADATA = 3000
_VERSION = "adbee.prefill.1"
# The video is never remembered: the template's is found again from the template key.
_NOT_REMEMBERED = frozenset({"video"})


def remember(prefill: Mapping[str, object]) -> str:
    """``private_metadata`` for a modal prefilled with ``prefill`` ("" when there is none)."""
    values = {
        k: v
        for k, v in prefill.items()
        if k not in _NOT_REMEMBERED
        and isinstance(v, str | int | float | list)
        and v not in ("", [])
    }
    if not values:
        return ""
    while True:
        encoded = json.dumps({"v": _VERSION, "prefill": values}, ensure_ascii=False, default=str)
        if len(encoded) <= MAX_METADATA:
            return encoded
        droppable = [k for k in values if k != "template"]
        if not droppable:
            return ""
        del values[max(droppable, key=lambda k: len(json.dumps(values[k], default=str)))]


def recall(private_metadata: object) -> dict[str, object]:
    """The prefill ``remember`` wrote; anything else (another app's text, tampering) is empty."""
    if not isinstance(private_metadata, str) or not private_metadata.startswith("{"):
        return {}
    try:
        data = json.loads(private_metadata)
    except ValueError:
        return {}
    if not isinstance(data, dict) or data.get("v") != _VERSION:
        return {}
    prefill = data.get("prefill")
    return dict(prefill) if isinstance(prefill, dict) else {}
