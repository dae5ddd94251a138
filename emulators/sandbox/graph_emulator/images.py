"""Ad image uploads (``POST /act_X/adimages``) for ``image_hash`` thumbnails.

Meta keys the response by the multipart part's filename and addresses images by the md5 of
their bytes (platform-facts.md §1.1 "Image upload").
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Any

from .context import Ctx
from .errors import param_error
from .store import AdImage


def _url(ctx: Ctx, image: AdImage) -> str:
    return f"{ctx.base_url}/emulator-media/images/{image.hash}.jpg"


def adimages_post(ctx: Ctx) -> dict[str, Any]:
    """Store every uploaded file (or the base64 ``bytes`` param) and return their hashes."""
    account = ctx.require_account()
    uploads: dict[str, bytes] = {f.filename or name: f.content for name, f in ctx.files.items()}
    encoded = ctx.params.text("bytes")
    if encoded is not None:
        try:
            uploads["bytes"] = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise param_error("Param bytes must be base64-encoded image data") from exc
    if not uploads:
        raise param_error("The parameter bytes or an image file is required")
    images: dict[str, Any] = {}
    for name, content in uploads.items():
        if not content:
            raise param_error(f"Image {name} is empty")
        digest = hashlib.md5(content).hexdigest()  # Meta's image hash is the md5 of the bytes
        image = AdImage(
            hash=digest, account_id=account.id, name=name, content=content, created=ctx.now
        )
        ctx.store.images[(account.id, digest)] = image
        images[name] = {"hash": digest, "url": _url(ctx, image)}
    return {"images": images}


def adimages_list(ctx: Ctx) -> dict[str, Any]:
    """GET /act_X/adimages (no paging: image counts stay small in tests)."""
    account = ctx.require_account()
    data = [
        {
            "id": f"{account.numeric_id}:{img.hash}",
            "hash": img.hash,
            "name": img.name,
            "url": _url(ctx, img),
            "status": "ACTIVE",
        }
        for (acct, _), img in ctx.store.images.items()
        if acct == account.id
    ]
    return {"data": data}
