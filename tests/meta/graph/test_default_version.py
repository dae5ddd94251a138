"""A client left on AdBee's default API version is answered by Meta today (no 2635)."""

from __future__ import annotations

from meta.graph.client import GraphClient, MetaConfig
from sandbox.graph_emulator import GraphEmulator
from sandbox.seeding import SANDBOX_META_TOKEN


def test_a_client_left_on_its_default_version_is_answered_by_meta_today(
    graph: GraphEmulator,
) -> None:
    """The emulator follows Meta's calendar on the real clock: an expired default gets 2635."""
    client = GraphClient(MetaConfig(access_token=SANDBOX_META_TOKEN, graph_url=graph.url))
    assert client.get("act_1234567890", {"fields": "currency"})["currency"] == "SGD"
