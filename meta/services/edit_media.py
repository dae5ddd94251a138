"""The new video or image of an edit, made ready for a creative: uploaded once, processed.

An edit that brings a new video (``video``/``add_video``) or image (``image``/``add_image``) needs
what a creation's media steps do before its creative: the upload (or the account's earlier copy of
the same bytes, ``meta.services.shared_videos``: by the sha256 of the file, never uploaded twice
to one account), Meta's processing, and the thumbnail a video creative shows. Each is a row of
the campaign's Meta objects keyed ``edit-<edit id>`` and written before the next call to Meta,
as the pipeline's are: a resumable upload's session is committed chunk by chunk, an upload whose
answer a crash lost is cleaned up by its title (which names the edit) before sending again, an
image is adopted by its md5 (``meta.services.images``).

It runs inside the edit's ``media`` step (``meta.services.edits``), under the campaign's lease.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from meta.domain.accounts import AccountConfig
from meta.domain.edits import MediaFile
from meta.domain.errors import AdBeeError, VideoProcessingError
from meta.domain.ports import CampaignRepository, GraphApi, Uploader, WaitUntilReady
from meta.domain.records import CampaignRecord, ObjectKind, ObjectRef
from meta.domain.states import Step
from meta.domain.stopping import StopSignal
from meta.domain.video_title import video_title
from meta.graph.upload import UploadSession
from meta.services.images import ImageSteps
from meta.services.lost_objects import LostObjects
from meta.services.shared_videos import SharedVideos
from meta.video.digest import content_hash


class EditMediaError(AdBeeError):
    """The edit's file is gone or changed since the edit was checked; the user must send it again."""


def media_key(edit_id: int) -> str:
    """The local key of an edit's video or image row (and of the ad an edit adds)."""
    return f"edit-{edit_id}"


@dataclass(frozen=True)
class ReadyMedia:
    """What a creative needs of the new media: a processed video and its frame, or an image."""

    video_id: str | None = None
    thumbnail: str | None = None
    image_hash: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ReadyMedia:
        return cls(data.get("video_id"), data.get("thumbnail"), data.get("image_hash"))


class EditMedia:
    """Upload (or reuse) and process one edit's video or image (see the module docstring)."""

    def __init__(
        self,
        *,
        store: CampaignRepository,
        graph: GraphApi,
        uploader: Uploader,
        wait_until_ready: WaitUntilReady,
        stopping: StopSignal | None = None,
        video_timeout: float = 600,
        video_poll_interval: float = 3,
    ) -> None:
        self._store = store
        self._graph = graph
        self._uploader = uploader
        self._wait = wait_until_ready
        self._stopping = stopping or StopSignal()
        self._timeout = video_timeout
        self._interval = video_poll_interval
        self._shared = SharedVideos(store, stopping=self._stopping)
        self._images = ImageSteps(store, graph, self._stopping)
        self._lost = LostObjects(graph)

    def prepare(
        self,
        row: CampaignRecord,
        account: AccountConfig,
        edit_id: int,
        media: MediaFile,
        *,
        video: bool,
    ) -> ReadyMedia:
        path = Path(media.path)
        key = media_key(edit_id)
        if not video:
            self._same_bytes(path, media, ObjectRef(ObjectKind.IMAGE, key), row)
            digest = self._images.ensure(
                row.id, ObjectRef(ObjectKind.IMAGE, key), path, row.ad_account_id
            )
            return ReadyMedia(image_hash=digest)
        ref = ObjectRef(ObjectKind.VIDEO, key)
        title = video_title(f"edit {edit_id} {media.name}", row.id)
        fresh = self._store.get(row.id) or row
        obj = fresh.object(ref)
        done = obj is not None and obj.meta_id and not obj.pending and not obj.upload_session
        video_id = str(obj.meta_id) if done and obj is not None else None
        if video_id is None:
            video_id = self._shared.obtain(
                row.id,
                row.ad_account_id,
                ref,
                digest=media.sha256,
                title=title,
                which="the edit's ",
                notify=lambda _event: None,
                stop=threading.Event(),
            )
        if video_id is None:
            self._same_bytes(path, media, ref, row)
            video_id = self._upload(row, account, ref, path, title)
        self._shared.uploaded(row.id, row.ad_account_id, media.sha256, video_id)
        fresh = self._store.get(row.id) or row
        obj = fresh.object(ref)
        thumbnail = (obj.thumbnail_url if obj else None) or self._processed(row, ref, video_id)
        return ReadyMedia(video_id=video_id, thumbnail=thumbnail)

    @staticmethod
    def _same_bytes(path: Path, media: MediaFile, ref: ObjectRef, row: CampaignRecord) -> None:
        """The file still there with the bytes that were checked (and approved)."""
        obj = row.object(ref)
        if obj is not None and obj.meta_id and not obj.pending:
            return  # already uploaded: the file is no longer needed
        if not path.is_file():
            raise EditMediaError(
                f"{media.name} is no longer on this AdBee server; edit again and attach it."
            )
        if ref.kind is ObjectKind.VIDEO and content_hash(path) != media.sha256:
            raise EditMediaError(
                f"{media.name} changed since the edit was checked; edit again with the new file."
            )

    def _upload(
        self, row: CampaignRecord, account: AccountConfig, ref: ObjectRef, path: Path, title: str
    ) -> str:
        fresh = self._store.get(row.id) or row
        obj = fresh.object(ref)
        saved = obj.upload_session if obj else None
        if obj is not None and obj.pending:
            # An earlier run started this upload and its answer (or session) was lost.
            keep = (saved or {}).get("video_id")
            self._lost.delete_uploads(row.id, account, title, keep=str(keep) if keep else None)
        else:
            self._store.mark_pending(row.id, ref, step=Step.UPLOAD)

        def persist(session: Any) -> None:
            data = session.to_dict() if hasattr(session, "to_dict") else dict(session)
            video = data.get("video_id")
            self._store.set_upload_session(
                row.id, ref, meta_id=str(video) if video else None, session=data
            )
            self._stopping.check()  # a checkpoint: the next chunk resumes from this session

        self._stopping.check()
        video_id = self._uploader.upload(
            account_id=row.ad_account_id,
            path=path,
            title=title,
            resume_session=UploadSession.from_dict(saved) if saved else None,
            on_session=persist,
        )
        self._store.record_meta_object(row.id, ref, str(video_id), step=Step.UPLOAD, name=title)
        return str(video_id)

    def _processed(self, row: CampaignRecord, ref: ObjectRef, video_id: str) -> str:
        """Wait until Meta processed the video (a creative of an unprocessed one is refused),
        then its thumbnail, committed with the video's row."""

        def get_status() -> dict:
            self._stopping.check()
            self._store.touch(row.id)  # alive: the campaign's lease stays this edit's
            return self._graph.get(video_id, {"fields": "status"}).get("status", {})

        self._wait(
            get_status, timeout=self._timeout, interval=self._interval, sleep=self._stopping.sleep
        )
        thumbnails = self._graph.get(f"{video_id}/thumbnails").get("data", [])
        preferred = [t for t in thumbnails if t.get("is_preferred")] or thumbnails
        thumbnail = str(preferred[0]["uri"]) if preferred and preferred[0].get("uri") else None
        if thumbnail is None:
            picture = self._graph.get(video_id, {"fields": "picture"}).get("picture")
            if not picture:
                raise VideoProcessingError(
                    f"Meta processed video {video_id} but offers no thumbnail; upload it again"
                )
            thumbnail = str(picture)
        self._store.set_thumbnail(row.id, ref, thumbnail)
        return thumbnail
