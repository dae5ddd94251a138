"""Where the bot token may go, and what counts as a web page, when fetching a file from Slack."""

from __future__ import annotations

import pytest

from bot.slack.files import _trusted_host, looks_like_html

API = "https://slack.com/api/"
EMULATOR = "http://127.0.0.1:8123/api/"


@pytest.mark.parametrize(
    ("url", "api", "trusted"),
    [
        ("https://files.slack.com/files-pri/T1-F1/download/a.mp4", API, True),
        ("https://slack-files.com/T1-F1-abc", API, True),
        ("https://a.slack-edge.com/x/a.mp4", API, True),
        ("https://acme.enterprise.slack.com/files/x", API, True),
        ("http://files.slack.com/files-pri/T1-F1/a.mp4", API, False),  # never over plain HTTP
        ("https://slack.com.evil.example/a.mp4", API, False),
        ("https://evilslack.com/a.mp4", API, False),
        ("https://files.slack.com@evil.example/a.mp4", API, False),
        ("http://127.0.0.1:8123/files-edge/T1-F1/a.mp4", EMULATOR, True),  # the configured API
        ("http://127.0.0.1:9999/files-edge/T1-F1/a.mp4", EMULATOR, False),  # another port
        ("http://localhost:8123/files-edge/T1-F1/a.mp4", EMULATOR, False),  # another host name
        ("https://127.0.0.1:8123/a.mp4", EMULATOR, False),  # another scheme
    ],
)
def test_the_token_goes_only_to_slack_or_the_configured_api_host(
    url: str, api: str, trusted: bool
) -> None:
    assert _trusted_host(url, api) is trusted


@pytest.mark.parametrize(
    ("first", "html"),
    [
        (b"<!DOCTYPE html><html><head><title>Slack</title>", True),
        (b"\xef\xbb\xbf  \n<html lang='en'>", True),
        (b"<!-- sign in -->\n<html>", True),
        (b"\x00\x00\x00\x18ftypmp42isom", False),
        (b"\x1aE\xdf\xa3 matroska", False),
        (b"GIF89a", False),
    ],
)
def test_a_web_page_is_told_from_a_video_by_its_first_bytes(first: bytes, html: bool) -> None:
    assert looks_like_html(first) is html
