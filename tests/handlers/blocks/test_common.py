"""Escaping and truncation: user text cannot ping, link or overflow."""

from __future__ import annotations

from handlers.blocks.common import build_error_blocks, esc, mention, truncate


def test_escape_neutralises_mentions_links_and_entities():
    assert esc("<!channel> & <@U1> <https://x|y>") == (
        "&lt;!channel&gt; &amp; &lt;@U1&gt; &lt;https://x|y&gt;"
    )
    assert esc("a\u202eb\u200bc\x00") == "abc"


def test_truncate_keeps_entities_and_markup_whole():
    assert truncate("abc", 3) == "abc"
    assert truncate("abcdef", 4) == "abc…"
    assert truncate("ab &amp; cd", 6) == "ab …"
    assert truncate("see <https://x.example|link> now", 20) == "see …"
    assert len(truncate("x" * 5000, 3000)) == 3000


def test_mentions_only_for_real_user_ids():
    assert mention("U0ABC123") == "<@U0ABC123>"
    assert mention("W0ABC123") == "<@W0ABC123>"
    assert mention("cli") == "cli"
    assert mention("<!channel>") == "&lt;!channel&gt;"
    assert mention(None) == "someone"


def test_error_blocks_carry_an_escaped_message_and_the_reference():
    blocks = build_error_blocks("Meta said <b>no</b> & stop", reference="3f2a-9c")
    assert blocks[0]["text"]["text"] == ":warning: Meta said &lt;b&gt;no&lt;/b&gt; &amp; stop"
    assert "`3f2a-9c`" in blocks[1]["elements"][0]["text"]
    assert len(build_error_blocks("x")) == 1
