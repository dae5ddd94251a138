"""Ad images: ``POST|GET|DELETE /act_X/adimages``, as strict as Meta.

- Upload: multipart file parts (the SDK's ``AdImage.remote_create`` sends the file under its own
  name) or the base64 ``bytes`` param (SDK ``AdAccount.create_ad_image`` param_types). The answer
  is keyed by the part's filename and gives each image's ``hash``, the md5 of its bytes, and a
  ``url`` (platform-facts.md §1.1; SDK ``objectparser.py`` unwraps ``images``). Uploading the same
  bytes again answers the same hash: Meta addresses images by content.
- A part that is not a picture Meta can read is refused with 100/1487411 "FileTypeNotSupported"
  "The type of file is not supported." (facebook-python-business-sdk#697 and logly/mureo#463
  quote Meta's answer); one that is a picture but does not decode (cut short, damaged) with
  100/1487197 "Error processing image" (facebook-python-business-sdk#680). The emulator decodes
  with Pillow, the same kind of check Meta's image pipeline runs, and accepts the formats the
  Marketing API's ad image reference lets Ads Manager take (JPEG, PNG, GIF, BMP, TIFF
  [uncertain beyond JPEG and PNG, which the ads guide names]).
- Read: ``GET /act_X/adimages`` with ``hashes=["h1", ...]`` (SDK ``get_ad_images`` param_types:
  ``hashes: list<string>``) returns only those images; fields from the SDK's ``AdImage.Field``.
- Delete: ``DELETE /act_X/adimages`` with ``hash`` (SDK ``delete_ad_images`` param_types); an
  image an active creative still shows cannot be deleted [uncertain wording: Meta's reference says
  images can only be deleted when no ad creative uses them].
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import json
from typing import Any

from PIL import Image, UnidentifiedImageError

from .context import Ctx
from .errors import invalid, param_error
from .store import AdImage

# Pillow's format names of what the emulator accepts (module docstring).
ACCEPTED_FORMATS = frozenset({"JPEG", "PNG", "GIF", "BMP", "TIFF", "MPO"})
_EXTENSIONS = {"PNG": "png", "GIF": "gif", "BMP": "bmp", "TIFF": "tif"}


def image_url(base_url: str, image: AdImage) -> str:
    """Where the emulator's CDN stand-in serves the image's bytes (Meta's ``url``)."""
    return f"{base_url}/emulator-media/images/{image.hash}.{_EXTENSIONS.get(image.format, 'jpg')}"


def _url(ctx: Ctx, image: AdImage) -> str:
    return image_url(ctx.base_url, image)


def _decode(name: str, content: bytes) -> tuple[str, int, int]:
    """(format, width, height) of an uploaded picture, or Meta's refusal."""
    not_supported = invalid(1487411, "FileTypeNotSupported", "The type of file is not supported.")
    try:
        with Image.open(io.BytesIO(content)) as picture:
            kind = str(picture.format)
            if kind not in ACCEPTED_FORMATS:
                raise not_supported
            width, height = picture.size
            try:
                picture.load()
            except (OSError, SyntaxError, ValueError):
                raise invalid(
                    1487197,
                    "Error processing image",
                    "There was a problem processing the image for the ad.",
                ) from None
            return kind, width, height
    except UnidentifiedImageError:
        raise not_supported from None


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
    decoded = {}
    for name, content in uploads.items():  # all checked before any is stored, as Meta does
        if not content:
            raise invalid(1487411, "FileTypeNotSupported", "The type of file is not supported.")
        decoded[name] = _decode(name, content)
    images: dict[str, Any] = {}
    for name, content in uploads.items():
        digest = hashlib.md5(content).hexdigest()  # Meta's image hash is the md5 of the bytes
        kind, width, height = decoded[name]
        image = ctx.store.images.get((account.id, digest))
        if image is None:
            image = AdImage(
                hash=digest,
                account_id=account.id,
                name=name[:100],  # AdImage.name: "The maximum length of this string is 100"
                content=content,
                created=ctx.now,
                format=kind,
                width=width,
                height=height,
            )
            ctx.store.images[(account.id, digest)] = image
        images[name] = {"hash": digest, "url": _url(ctx, image)}
    return {"images": images}


def _hashes(ctx: Ctx) -> set[str] | None:
    raw = ctx.params.text("hashes")
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        value = [part for part in raw.split(",") if part]
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise param_error("Param hashes must be an array of strings")
    return set(value)


def render_image(ctx: Ctx, image: AdImage, account_numeric_id: str) -> dict[str, Any]:
    """Every field the emulator knows of one image (SDK ``AdImage.Field``)."""
    url = _url(ctx, image)
    return {
        "id": f"{account_numeric_id}:{image.hash}",
        "account_id": account_numeric_id,
        "hash": image.hash,
        "name": image.name,
        "url": url,
        "url_128": url,
        "permalink_url": url,
        "width": image.width,
        "height": image.height,
        "original_width": image.width,
        "original_height": image.height,
        "status": "ACTIVE",
        "creatives": _creatives_of(ctx, image),
    }


def _creatives_of(ctx: Ctx, image: AdImage) -> list[str]:
    return [
        node.id
        for node in ctx.store.of_kind("adcreative", image.account_id)
        if not node.deleted and node.data.get("image_hash") == image.hash
    ]


def adimages_list(ctx: Ctx) -> dict[str, Any]:
    """GET /act_X/adimages[?hashes=[...]] (no paging: image counts stay small in tests)."""
    account = ctx.require_account()
    wanted = _hashes(ctx)
    fields = ctx.params.fields() or ["hash", "id"]
    data = []
    for (acct, digest), img in ctx.store.images.items():
        if acct != account.id or (wanted is not None and digest not in wanted):
            continue
        full = render_image(ctx, img, account.numeric_id)
        data.append({key: full[key] for key in ("id", *fields) if key in full})
    return {"data": data}


def adimages_delete(ctx: Ctx) -> dict[str, Any]:
    """DELETE /act_X/adimages with ``hash``: gone unless a creative still shows it."""
    account = ctx.require_account()
    digest = ctx.params.text("hash")
    if not digest:
        raise param_error("The parameter hash is required")
    image = ctx.store.images.get((account.id, digest))
    if image is None:
        raise invalid(
            None, "Image Not Found", f"The image hash {digest} does not exist in this ad account."
        )
    if _creatives_of(ctx, image):
        raise invalid(
            None,
            "Image In Use",
            "This image is used by an ad creative and can't be deleted. Delete the creative first.",
        )
    del ctx.store.images[(account.id, digest)]
    return {"success": True}
