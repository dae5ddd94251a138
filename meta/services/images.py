"""Ad images as persisted steps: ``POST act_<id>/adimages`` once per image, never twice.

An image is a row of the campaign's Meta objects (kind ``image``, one key per asset) whose Meta
id is its hash: Meta addresses ad images by the md5 of their bytes, not by an id (platform-facts
§1.1; the SDK's ``AdImage.Field.hash``). The row is marked pending before the upload and
recorded with Meta's answer, like every other create. That the hash is the md5 of the bytes is
what makes a lost answer cheap to settle: the run that resumes computes it again and reads
``act_<id>/adimages?hashes=[...]``; found, the image is adopted, else uploaded. Even an upload
sent twice makes one image (Meta answers the same hash for the same bytes).

``ImageSteps.ensure`` is the one entry point: the pipeline calls it per image ad, and any other
creative that shows an uploaded image (the flexible ad format) can call it the same way.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path
from typing import Any

from meta.domain.errors import AdBeeError, MetaApiError, MetaTransportError
from meta.domain.ports import CampaignRepository, GraphApi
from meta.domain.records import ObjectRef
from meta.domain.states import ProgressEvent, ProgressSink, Step
from meta.domain.stopping import StopSignal
from meta.graph.images import adimages_path, find_images, upload_filename


class ImageMissingError(AdBeeError):
    """The image file a creation still has to upload is gone; the user must attach it again."""


class ImageSteps:
    """Uploads (or adopts) one campaign's images, each a resumable step of its own."""

    def __init__(
        self, store: CampaignRepository, graph: GraphApi, stopping: StopSignal | None = None
    ) -> None:
        self._store = store
        self._graph = graph
        self._stopping = stopping or StopSignal()

    def ensure(
        self,
        campaign_id: int,
        ref: ObjectRef,
        path: Path,
        ad_account_id: str,
        *,
        notify: ProgressSink | None = None,
        label: str = "",
        ad: int | None = None,
    ) -> str:
        """The hash of the image ``ref`` of this campaign, uploading ``path`` unless it is done.

        Marked pending before the upload and recorded (hash, file name, Meta's url as the
        thumbnail) before returning; a pending row is first looked up by the file's md5, so an
        answer lost to a crash or a dropped connection is adopted, never uploaded twice.
        Raises ``ImageMissingError`` when the upload is still to do and the file is gone.
        """
        sink = notify or (lambda _event: None)

        def tell(event: ProgressEvent) -> None:
            sink(replace(event, ad=ad))  # which ad's image (``ProgressEvent.ad``)

        row = self._store.get(campaign_id)
        assert row is not None
        existing = row.object(ref)
        if existing is not None and existing.meta_id and not existing.pending:
            tell(
                ProgressEvent(
                    campaign_id, Step.IMAGE, "skipped", f"{label}image {existing.meta_id}"
                )
            )
            return existing.meta_id
        try:
            content = path.read_bytes()
        except OSError:
            raise ImageMissingError(
                f"The image {path.name} is no longer on this AdBee server and its upload to Meta "
                "had not finished. Submit the campaign again with the same name and attach the "
                "image: AdBee continues from where it stopped."
            ) from None
        digest = hashlib.md5(content).hexdigest()
        if existing is not None and existing.pending:
            found = find_images(self._graph, ad_account_id, [digest]).get(digest)
            if found is not None:
                self._record(campaign_id, ref, path, found)
                tell(ProgressEvent(campaign_id, Step.IMAGE, "done", f"{label}found image {digest}"))
                return digest
        self._stopping.check()  # before the marker: a stopped run has sent nothing here
        self._store.begin_step(campaign_id, ref, step=Step.IMAGE)
        tell(ProgressEvent(campaign_id, Step.IMAGE, "started", f"{label}{path.name}", 0))
        filename = upload_filename(path)
        try:
            answer = self._upload(ad_account_id, filename, content)
        except MetaTransportError:
            # The answer was lost, not necessarily the upload: look before sending again.
            found = find_images(self._graph, ad_account_id, [digest]).get(digest)
            if found is None:
                tell(ProgressEvent(campaign_id, Step.IMAGE, "retry", "connection lost; retrying"))
                found = self._upload(ad_account_id, filename, content)
            answer = found
        if str(answer.get("hash")) != digest:
            # Meta's hash is the md5 of the bytes; anything else means the bytes changed on
            # the way, and a lost answer could never be found again by this file.
            raise MetaApiError(
                message=f"Meta answered hash {answer.get('hash')} for {path.name}, whose md5 is "
                f"{digest}; upload the image again"
            )
        self._record(campaign_id, ref, path, answer)
        tell(ProgressEvent(campaign_id, Step.IMAGE, "done", f"{label}image {digest}", 100))
        return digest

    def _upload(self, ad_account_id: str, filename: str, content: bytes) -> dict[str, Any]:
        body = self._graph.post_file(
            adimages_path(ad_account_id), {}, field=filename, filename=filename, content=content
        )
        images = body.get("images") or {}
        image = images.get(filename) or next(iter(images.values()), None)
        if not isinstance(image, dict) or not image.get("hash"):
            raise MetaApiError(message="Meta's answer to the image upload names no hash")
        return image

    def _record(self, campaign_id: int, ref: ObjectRef, path: Path, image: dict) -> None:
        digest = str(image["hash"])
        self._store.record_meta_object(
            campaign_id, ref, digest, step=Step.IMAGE, name=upload_filename(path)
        )
        url = image.get("permalink_url") or image.get("url")
        if url:  # what the approval card shows of an image ad
            self._store.set_thumbnail(campaign_id, ref, str(url))

    def delete(self, ad_account_id: str, digest: str) -> None:
        """Remove an image this creation uploaded (``DELETE act_<id>/adimages`` with ``hash``,
        SDK ``delete_ad_images``); Meta refuses while a creative still shows it."""
        self._graph.delete(adimages_path(ad_account_id), {"hash": digest})
