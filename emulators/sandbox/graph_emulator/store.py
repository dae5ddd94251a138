"""In-memory object state of the emulated Graph.

One re-entrant lock guards everything: requests are short, and serialising them keeps the
status machine and id counter consistent under ``ThreadingHTTPServer`` without finer locking.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

# Kinds exposed through GraphEmulator.objects(); values are Graph's internal node type names,
# used in "(#100) Tried accessing nonexisting field (x) on node type (Y)".
NODE_TYPES: dict[str, str] = {
    "campaign": "AdCampaignGroup",
    "adset": "AdCampaign",
    "ad": "AdGroup",
    "adcreative": "AdCreative",
    "advideo": "Video",
}

FIRST_ID = 120200000000000001


@dataclass
class Account:
    """An ad account the tokens can manage, plus the assets it owns."""

    id: str  # "act_<digits>"
    name: str
    currency: str
    timezone_name: str
    page_ids: list[str] = field(default_factory=list)
    pixel_ids: list[str] = field(default_factory=list)
    instagram_user_ids: list[str] = field(default_factory=list)
    verified_identity_ids: list[str] = field(default_factory=list)
    default_dsa_beneficiary: str | None = None
    default_dsa_payor: str | None = None
    account_status: int = 1
    created: float = 0.0
    # Account health for insights scenarios (GraphEmulator.disable_account / reach_spend_cap):
    # ``disable_reason`` is Meta's enum (0 NONE, 1 ADS_INTEGRITY_POLICY, ...); ``spend_cap`` in
    # minor units, 0 = none; delivery stops at ``disabled_at`` / ``capped_at``.
    disable_reason: int = 0
    spend_cap: int = 0
    disabled_at: float | None = None
    capped_at: float | None = None

    @property
    def numeric_id(self) -> str:
        """Account id without the ``act_`` prefix (BUC header key, ``account_id`` field)."""
        return self.id.removeprefix("act_")


@dataclass
class Token:
    """An access token the emulator accepts."""

    value: str
    expired: bool = False
    # What /debug_token reports (developers.facebook.com/docs/graph-api/reference/debug_token):
    # expires_at is Unix time, 0 for a token that never expires (a system-user token generated
    # with "Never" [uncertain: Meta documents 0 as "never" for data_access_expires_at; system
    # user tokens are observed to report 0]); scopes are the granted permissions.
    expires_at: int = 0
    scopes: tuple[str, ...] = ("ads_management", "ads_read", "business_management")
    user_id: str = "100000000000001"
    user_name: str = "AdBee system user"
    token_type: str = "SYSTEM_USER"


@dataclass
class Node:
    """A campaign / ad set / ad / creative / video.

    ``data`` holds the stored wire fields (already type-parsed); ``meta`` holds emulator-only
    state (review deadline, processing start, ...) that never leaks into reads.
    """

    id: str
    kind: str
    account_id: str
    data: dict[str, Any]
    created: float
    updated: float
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def node_type(self) -> str:
        """Graph node type name."""
        return NODE_TYPES[self.kind]

    @property
    def deleted(self) -> bool:
        """True once DELETE'd or status=DELETED."""
        return self.data.get("status") == "DELETED"


@dataclass
class AdImage:
    """An uploaded ad image, addressed by its md5 hash within an account."""

    hash: str
    account_id: str
    name: str
    content: bytes
    created: float
    format: str = "JPEG"  # Pillow's name of what was uploaded
    width: int = 0
    height: int = 0


class Store:
    """All mutable emulator state."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.accounts: dict[str, Account] = {}
        self.tokens: dict[str, Token] = {}
        self.nodes: dict[str, Node] = {}
        self.images: dict[tuple[str, str], AdImage] = {}
        self.upload_sessions: dict[str, Any] = {}
        # Queued outcomes for the next created ads (GraphEmulator.disapprove_next_ad).
        self.pending_disapprovals: list[dict[str, str]] = []
        # insights.InsightsState (scenarios, report runs, call counts), made on first use.
        self.insights: Any = None
        self._next_id = FIRST_ID

    def clear_objects(self) -> None:
        """Drop every created object but keep accounts and tokens."""
        with self.lock:
            self.nodes.clear()
            self.images.clear()
            self.upload_sessions.clear()
            self.pending_disapprovals.clear()
            self.insights = None
            self._next_id = FIRST_ID

    def new_id(self) -> str:
        """Next numeric-string id (Graph ids are strings on the wire)."""
        with self.lock:
            value = self._next_id
            self._next_id += 1
            return str(value)

    def add(self, node: Node) -> Node:
        """Insert a node."""
        with self.lock:
            self.nodes[node.id] = node
            return node

    def get(self, node_id: str) -> Node | None:
        """Node by id, deleted ones included (Graph still reads them)."""
        return self.nodes.get(node_id)

    def of_kind(self, kind: str, account_id: str | None = None) -> list[Node]:
        """Nodes of a kind, newest first (Graph edge order)."""
        found = [
            n
            for n in self.nodes.values()
            if n.kind == kind and (account_id is None or n.account_id == account_id)
        ]
        return sorted(found, key=lambda n: int(n.id), reverse=True)

    def children(self, kind: str, parent_field: str, parent_id: str) -> list[Node]:
        """Nodes of ``kind`` whose ``parent_field`` equals ``parent_id``, newest first.

        Sorts only the children: an account edge expanding the ads of 100 campaigns asks this
        200 times, and sorting every ad of the store each time made the emulator, not Graph's
        latency, the limit of a paged read over thousands of objects."""
        found = [
            n
            for n in self.nodes.values()
            if n.kind == kind and n.data.get(parent_field) == parent_id
        ]
        return sorted(found, key=lambda n: int(n.id), reverse=True)
