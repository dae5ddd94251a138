"""Ad previews: ``preview_shareable_link`` on ads and ``GET /<ad|creative>/previews?ad_format=``.

Meta's Ad Previews guide (marketing-api/generatepreview) and the AdPreview reference: the
``previews`` edge of an ad or a creative answers ``{"data": [{"body": "<iframe ...>"}]}``, one
AdPreview whose ``body`` is an HTML iframe snippet (its ``src`` HTML-escaped, ``&amp;``); the
``ad_format`` parameter is required and must be one of the SDK's ``AdPreview.AdFormat`` values
(``schema.AD_PREVIEW_FORMATS``, generated from ``facebook_business/adobjects/adpreview.py``).
``preview_shareable_link`` (SDK ``ad.py``, type string) is a link to the ad's preview that anyone
can open. The exact shapes of the iframe URL and the short link are [uncertain]; clients must
treat both as opaque URLs.
"""

from __future__ import annotations

import hashlib
from typing import Any

from . import schema
from .context import Ctx
from .errors import must_be_one_of, required
from .store import Node

PREVIEW_HOST = "https://www.facebook.com/ads/api/preview_iframe.php"


def _token(*parts: str) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:24]


def shareable_link(node: Node) -> str:
    """The ad's ``preview_shareable_link``: stable per ad, like Meta's short link."""
    return f"https://fb.me/adbee{_token('share', node.id)[:12]}"


def previews(ctx: Ctx, node: Node) -> dict[str, Any]:
    """GET /<ad or creative>/previews?ad_format=FORMAT."""
    ad_format = ctx.params.text("ad_format")
    if not ad_format:
        raise required("ad_format")
    if ad_format not in schema.AD_PREVIEW_FORMATS:
        raise must_be_one_of("ad_format", schema.AD_PREVIEW_FORMATS)
    src = f"{PREVIEW_HOST}?d={_token(node.id, ad_format)}&amp;t={_token('t', node.id)}"
    body = (
        f'<iframe src="{src}" width="274" height="213" scrolling="yes" '
        'style="border: none;"></iframe>'
    )
    return {"data": [{"body": body}]}
