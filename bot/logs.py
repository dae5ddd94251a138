"""Logging that never prints a secret.

``requests``/``urllib3`` log full URLs at DEBUG, and Graph URLs carry ``access_token`` in the
query string; a filter masks tokens in every record, whatever library emits it.
"""

from __future__ import annotations

import logging
import re

_PATTERNS = (
    re.compile(r"(access_token|appsecret_proof|client_secret|token)=([^&\s'\"]+)", re.I),
    re.compile(r"\b(xox[abprs]-|xapp-)[0-9A-Za-z-]+"),
    re.compile(r"\bEAA[A-Za-z0-9]{20,}"),
)


def redact(text: str) -> str:
    text = _PATTERNS[0].sub(r"\1=<redacted>", text)
    text = _PATTERNS[1].sub(r"\1<redacted>", text)
    return _PATTERNS[2].sub("<redacted>", text)


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, ()
        return True


class RedactingFormatter(logging.Formatter):
    """Masks secrets in the whole formatted record, tracebacks included.

    A filter only sees the message; an exception's text (e.g. a ``requests`` error quoting the
    URL with ``access_token``) is added later by the formatter, so the formatter redacts too.
    """

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def configure_logging(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("urllib3").setLevel(logging.WARNING)
    # "Running job ... executed successfully" twice per run of every job: the take-over check
    # alone runs every 2 s. Failures and missed runs are warnings and errors, and still shown.
    logging.getLogger("apscheduler.executors.default").setLevel(logging.WARNING)
