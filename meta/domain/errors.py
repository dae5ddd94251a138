"""Errors the Meta layer raises, each carrying a message that is safe to show a user.

Nothing above ``meta/`` ever sees an SDK or ``requests`` exception: the adapters translate them
into these types, so handlers, jobs and the CLI can decide what to tell the user from one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Codes Meta documents as "back off and retry later" (error-handling and rate-limiting guides).
THROTTLE_CODES = frozenset({4, 17, 32, 613, *range(80000, 80015)})
# Codes Meta documents as temporary: unknown/downtime (1) and service unavailable (2).
TRANSIENT_CODES = frozenset({1, 2})
# Token problems: nothing will work until someone renews the token.
AUTH_CODES = frozenset({102, 190})
# "Wait and retry the operation" in Meta's error guide (graph-api/guides/error-handling): 341
# "Application limit reached", 368 "Temporarily blocked for policies violations". Neither is a
# refusal of the request itself, so neither may end in a rollback or a failed activation.
APP_LIMIT_CODE = 341
TEMPORARY_BLOCK_CODE = 368
# (code, subcode) pairs Meta marks ``is_transient: false`` although an unchanged retry often works:
# 100/1487390 on ``adcreatives`` ("try again later"), about half the time in public reports
# [uncertain: one public source, the justwatch Go SDK PR #90; see round2-facts.md].
RETRY_UNCHANGED = frozenset({(100, 1487390)})
# Subcodes that are about the video itself (meta-api.md §5: 1443226 "video thumbnail missing").
VIDEO_SUBCODES = frozenset({1443226})


class AdBeeError(Exception):
    """Base of every error whose ``message`` may be shown to the user as is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class FieldProblem:
    """One bad input value, named by the field the user filled in."""

    field: str
    message: str


class ValidationError(AdBeeError):
    """The user's input is wrong; nothing was uploaded to or created in Meta (the check may have
    read the account's minimum budget)."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))

    def by_field(self) -> dict[str, str]:
        """First problem per field, the shape Slack's ``response_action: errors`` wants."""
        result: dict[str, str] = {}
        for problem in self.problems:
            result.setdefault(problem.field, problem.message)
        return result


class VideoRejectedError(ValidationError):
    """The video file cannot be used for an ad (missing, not a video, wrong codec, too big...)."""

    def __init__(self, message: str) -> None:
        super().__init__([FieldProblem("video", message)])


class ImageRejectedError(ValidationError):
    """The image file cannot be used for an image ad (not a JPEG/PNG, too big, too small...)."""

    def __init__(self, message: str) -> None:
        super().__init__([FieldProblem("images", message)])


@dataclass
class MetaApiError(AdBeeError):
    """A Graph API error, with Meta's own words for the user when Meta gave them."""

    message: str
    code: int | None = None
    subcode: int | None = None
    user_title: str | None = None
    user_message: str | None = None
    http_status: int | None = None
    is_transient_flag: bool = False
    fbtrace_id: str | None = None
    retry_after_seconds: float | None = None
    blame_fields: list[str] = field(default_factory=list)
    # Meta's ``error_data`` object, decoded when Meta sent it as a JSON string. Some errors carry
    # what to do next in it, e.g. the chunked video upload's 1363037 names the offsets to resend.
    error_data: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        Exception.__init__(self, self.message)

    @property
    def is_throttle(self) -> bool:
        """Rate limits, including 341 (the app's limit rather than the account's)."""
        return self.code in THROTTLE_CODES or self.code == APP_LIMIT_CODE

    @property
    def is_temporary_block(self) -> bool:
        """368: Meta blocks the action for a while; waiting, not changing the request, ends it."""
        return self.code == TEMPORARY_BLOCK_CODE

    @property
    def is_retry_unchanged(self) -> bool:
        """Meta says "try again later" without flagging it transient (see ``RETRY_UNCHANGED``)."""
        return (self.code, self.subcode) in RETRY_UNCHANGED

    @property
    def is_retryable(self) -> bool:
        """Calling again later can succeed: never answer this with a rollback."""
        return (
            self.is_transient
            or self.is_throttle
            or self.is_temporary_block
            or self.is_retry_unchanged
        )

    @property
    def is_about_video(self) -> bool:
        """Meta's complaint names the video, so the uploaded video is not worth keeping."""
        return self.subcode in VIDEO_SUBCODES or any("video" in f for f in self.blame_fields)

    @property
    def is_transient(self) -> bool:
        """Worth retrying with backoff: Meta said so, or the code/status says the server hiccuped."""
        if self.is_transient_flag or self.code in TRANSIENT_CODES:
            return True
        return self.http_status is not None and self.http_status >= 500 and not self.code

    @property
    def is_auth(self) -> bool:
        return self.code in AUTH_CODES

    def user_text(self) -> str:
        """What to tell the user: Meta's user-facing message first, then its developer message."""
        parts = [p for p in (self.user_title, self.user_message) if p]
        text = ": ".join(parts) if parts else self.message
        ref = f" (code {self.code}" + (f"/{self.subcode}" if self.subcode else "") + ")"
        return text + (ref if self.code else "")

    def fix_hint(self) -> str:
        """One line telling the user what to do about it."""
        if self.is_auth:
            return (
                "The Meta access token is invalid or expired: generate a new system-user token in "
                "Business Settings > System users and update META_ACCESS_TOKEN (in .env or a "
                "secret file it is picked up within a minute; in the environment, restart "
                "AdBee), then retry."
            )
        if self.code == APP_LIMIT_CODE:
            return (
                "Meta's limit for AdBee's app was reached (code 341); nothing changed this time. "
                "Try again in a few minutes; if it keeps happening, fewer calls are needed."
            )
        if self.is_temporary_block:
            return (
                "Meta has temporarily blocked this action (code 368); nothing changed this time. "
                "Try again later; if it lasts, check Account Quality in Meta Business Suite."
            )
        if self.is_retry_unchanged:
            return (
                "Meta asked to try again later and AdBee's retries did not get through yet; "
                "nothing is lost. Try again in a few minutes."
            )
        if self.is_throttle:
            wait = self.retry_after_seconds
            when = f"in about {max(1, round(wait / 60))} minute(s)" if wait else "in a few minutes"
            return (
                f"Meta is rate-limiting this ad account; nothing changed this time. Try again "
                f"{when} (calling earlier extends Meta's block)."
            )
        if self.is_transient:
            return "Meta had a temporary problem; nothing changed this time. Try again shortly."
        if self.code in (10, 200) or (self.code is not None and 200 <= self.code < 300):
            return "The system user lacks a permission on this ad account, page or pixel; grant it in Business Settings."
        return "Fix what Meta names above, then create the campaign again."


class MetaTransportError(AdBeeError):
    """Meta could not be reached or closed the connection; the outcome of a write is unknown."""


class VideoProcessingError(AdBeeError):
    """Meta accepted the upload but could not process the video, or took too long.

    ``retryable`` is True for a timeout: Meta may still finish, so waiting again can succeed,
    whereas a processing error means the file itself must change.
    """

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


class PipelineError(AdBeeError):
    """A campaign creation stopped; ``step`` names where, ``cause`` holds the underlying error."""

    def __init__(
        self, message: str, *, step: str, cause: Exception | None = None, resumable: bool = False
    ) -> None:
        super().__init__(message)
        self.step = step
        self.cause = cause
        self.resumable = resumable
