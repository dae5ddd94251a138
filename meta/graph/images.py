"""The Graph requests of ad images (``act_<id>/adimages``), shared by the upload step and the
dry run: the file name Meta keys its answer by, and the read by hashes.
"""

from __future__ import annotations

import json
from pathlib import Path

from meta.domain.ports import GraphApi

IMAGE_FIELDS = "hash,name,url,permalink_url,width,height,creatives"
_MAX_NAME = 100  # AdImage.name: "The maximum length of this string is 100 characters"


def upload_filename(path: Path) -> str:
    """The multipart file name Meta keys its answer by (and stores as the image's ``name``):
    printable ASCII without quotes, at most Meta's 100 characters, the extension kept."""
    cleaned = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\/' else "_" for c in path.name
    )
    cleaned = cleaned or "image.jpg"
    if len(cleaned) > _MAX_NAME:
        stem, dot, suffix = cleaned.rpartition(".")
        keep = _MAX_NAME - len(suffix) - 1 if dot else _MAX_NAME
        cleaned = f"{stem[:keep]}.{suffix}" if dot else cleaned[:_MAX_NAME]
    return cleaned


def adimages_path(ad_account_id: str) -> str:
    act = ad_account_id if ad_account_id.startswith("act_") else f"act_{ad_account_id}"
    return f"{act}/adimages"


def find_images(graph: GraphApi, ad_account_id: str, hashes: list[str]) -> dict[str, dict]:
    """The account's images among ``hashes``, by hash (``GET act_<id>/adimages?hashes=[...]``,
    SDK ``AdAccount.get_ad_images`` param_types ``hashes: list<string>``)."""
    body = graph.get(
        adimages_path(ad_account_id), {"hashes": json.dumps(hashes), "fields": IMAGE_FIELDS}
    )
    return {str(item["hash"]): item for item in body.get("data", []) if item.get("hash")}
