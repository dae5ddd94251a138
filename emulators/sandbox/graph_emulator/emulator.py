"""``GraphEmulator``: the public, test-facing facade (start/stop, seeding, knobs, inspection).

Other AdBee engineers code against exactly these names; everything behind them (routing,
validation, limiter, faults) lives in the single-purpose modules of this package.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any, Generic, TypeVar, overload

from .app import GraphApp
from .faults import Fault, FaultInjector
from .insights import InsightsScenario, account_spent_minor, log_status
from .insights import state as insights_state
from .ratelimit import RateLimiter
from .server import GraphHTTPServer
from .settings import Settings
from .status import effective_status, video_status
from .store import NODE_TYPES, Account, Node, Store, Token
from .wire import RecordedRequest

T = TypeVar("T")

# The keys of ``ad_review_feedback.placement_specific``: the fields of the SDK's
# ``AdgroupPlacementSpecificReviewFeedback`` (facebook-business 26.0.x), each a map policy -> reason.
REVIEW_PLACEMENTS = frozenset(
    {
        "account_admin", "ad", "ads_conversion_experiences", "b2c", "b2c_commerce_unified",
        "bsg", "city_community", "commerce", "compromise", "daily_deals", "daily_deals_legacy",
        "dpa", "dri_copyright", "dri_counterfeit", "facebook", "facebook_pages_live_shopping",
        "independent_work", "instagram", "instagram_shop", "job_search", "lead_gen_honeypot",
        "marketplace", "marketplace_home_rentals", "marketplace_home_sales", "marketplace_motors",
        "marketplace_shops", "max_review_placements", "neighborhoods", "page_admin", "product",
        "product_service", "profile", "seller", "shops", "traffic_quality",
        "unified_commerce_content", "whatsapp",
    }
)  # fmt: skip


class _Setting(Generic[T]):
    """Descriptor exposing one ``Settings`` field as an emulator attribute."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, objtype: type | None = None) -> _Setting[T]: ...

    @overload
    def __get__(self, obj: GraphEmulator, objtype: type | None = None) -> T: ...

    def __get__(self, obj: GraphEmulator | None, objtype: type | None = None) -> Any:
        if obj is None:
            return self
        return getattr(obj._settings, self.name)

    def __set__(self, obj: GraphEmulator, value: T) -> None:
        setattr(obj._settings, self.name, value)


class GraphEmulator:
    """A loopback Graph API server for the real ``facebook_business`` SDK and raw requests.

    Use as ``with GraphEmulator() as emu:`` or ``emu = GraphEmulator().start()``; ``emu.url``
    serves as both META_GRAPH_URL and META_VIDEO_URL.
    """

    app_secret = _Setting[str | None]()
    video_processing_seconds = _Setting[float]()
    fail_video_processing_next = _Setting[bool]()
    ad_review_seconds = _Setting[float]()
    in_process_seconds = _Setting[float]()
    latency_ms = _Setting[float]()
    chunk_size = _Setting[int]()
    upload_session_ttl_seconds = _Setting[float | None]()
    max_simple_upload_bytes = _Setting[int]()
    strict_media = _Setting[bool]()
    max_score = _Setting[int]()
    score_decay_seconds = _Setting[float]()
    score_block_seconds = _Setting[float]()
    score_error_code = _Setting[int]()
    max_mutation_qps = _Setting[float | None]()
    access_tier = _Setting[str]()
    min_daily_budgets = _Setting[dict[str, int]]()
    fallback_min_daily_budget = _Setting[int]()
    require_purchase_event = _Setting[bool]()
    page_size = _Setting[int]()
    max_page_size = _Setting[int]()
    max_batch = _Setting[int]()
    insights_seed = _Setting[int]()
    insights_async_seconds = _Setting[float]()
    insights_calls_per_hour = _Setting[int]()
    insights_throttle_pct = _Setting[float | None]()
    insights_regain_minutes = _Setting[int]()

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, clock: Callable[[], float] | None = None
    ) -> None:
        self.host = host
        self.port = port
        self.clock: Callable[[], float] = clock or time.time
        self._settings = Settings()
        self._store = Store()
        self._faults = FaultInjector()
        self._limiter = RateLimiter(self._settings, self._now)
        self._app = GraphApp(
            self._store, self._settings, self._now, self._faults, self._limiter, lambda: self.url
        )
        self._server: GraphHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def _now(self) -> float:
        return self.clock()

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> GraphEmulator:
        """Bind and serve on a background thread."""
        if self._server is not None:
            return self
        self._server = GraphHTTPServer((self.host, self.port), self._app, self._settings)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},  # stop() returns within ~50 ms
            name="graph-emulator",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> GraphEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:54321`` (no trailing slash, like SDK GRAPH)."""
        return f"http://{self.host}:{self.port}"

    # -- seeding ---------------------------------------------------------------------------

    def add_token(
        self,
        token: str,
        expired: bool = False,
        *,
        expires_at: float | None = None,
        scopes: Iterable[str] | None = None,
    ) -> None:
        """Accept ``token`` (expired ones answer 190/463). ``expires_at`` (Unix time; default
        never) and ``scopes`` are what ``/debug_token`` reports about it."""
        extra: dict[str, Any] = {}
        if expires_at is not None:
            extra["expires_at"] = int(expires_at)
        if scopes is not None:
            extra["scopes"] = tuple(scopes)
        with self._store.lock:
            self._store.tokens[token] = Token(token, expired, **extra)

    def add_account(
        self,
        account_id: str,
        currency: str = "USD",
        timezone_name: str = "UTC",
        page_ids: Iterable[str] = (),
        pixel_ids: Iterable[str] = (),
        instagram_user_ids: Iterable[str] = (),
        verified_identity_ids: Iterable[str] = (),
        name: str | None = None,
        default_dsa_beneficiary: str | None = None,
        default_dsa_payor: str | None = None,
        account_status: int = 1,
    ) -> None:
        """Create an ad account and the pages/pixels/IG accounts/verified identities it owns."""
        if not account_id.startswith("act_") or not account_id[4:].isdigit():
            raise ValueError("account_id must look like act_<digits>")
        with self._store.lock:
            self._store.accounts[account_id] = Account(
                id=account_id,
                name=name or f"Emulated account {account_id[4:]}",
                currency=currency,
                timezone_name=timezone_name,
                page_ids=[str(p) for p in page_ids],
                pixel_ids=[str(p) for p in pixel_ids],
                instagram_user_ids=[str(i) for i in instagram_user_ids],
                verified_identity_ids=[str(v) for v in verified_identity_ids],
                default_dsa_beneficiary=default_dsa_beneficiary,
                default_dsa_payor=default_dsa_payor,
                account_status=account_status,
                created=self.clock(),
            )

    def load_seed(self, seed: dict[str, Any]) -> None:
        """Apply a seed mapping (``tokens``, ``accounts``, ``settings``) as in the YAML file."""
        for token in seed.get("tokens", []) or []:
            if isinstance(token, str):
                self.add_token(token)
            else:
                self.add_token(str(token["token"]), bool(token.get("expired", False)))
        for account in seed.get("accounts", []) or []:
            spec = dict(account)
            self.add_account(str(spec.pop("id")), **spec)
        for key, value in (seed.get("settings") or {}).items():
            if not isinstance(getattr(type(self), key, None), _Setting):
                raise ValueError(f"unknown emulator setting {key!r}")
            setattr(self, key, value)

    def disapprove_next_ad(
        self,
        reason: str = "Your ad doesn't comply with our Advertising Standards.",
        policy: str = "Unacceptable Business Practices",
        placement: str | None = None,
    ) -> None:
        """The next created ad ends DISAPPROVED.

        Without ``placement``: ``ad_review_feedback.global[policy] = reason``; with it (one of
        the SDK's ``AdgroupPlacementSpecificReviewFeedback`` fields, e.g. ``instagram``):
        ``ad_review_feedback.placement_specific[placement][policy] = reason``.
        """
        if placement is not None and placement not in REVIEW_PLACEMENTS:
            raise ValueError(f"placement must be one of {sorted(REVIEW_PLACEMENTS)}")
        disapproval = {"reason": reason, "policy": policy}
        if placement is not None:
            disapproval["placement"] = placement
        with self._store.lock:
            self._store.pending_disapprovals.append(disapproval)

    # -- insights scenarios ----------------------------------------------------------------

    def set_insights_scenario(self, campaign_id: str, scenario: InsightsScenario | str) -> None:
        """How ``campaign_id`` delivers from now on in Insights reads (``InsightsScenario``)."""
        chosen = InsightsScenario(scenario)
        with self._store.lock:
            if self._store.get(str(campaign_id)) is None:
                raise KeyError(campaign_id)
            insights_state(self._store).scenarios[str(campaign_id)] = chosen

    def backdate_delivery(self, campaign_id: str, since: float) -> None:
        """Count the campaign, its ad sets and ads as ACTIVE (and the ad as reviewed) from
        ``since`` (Unix time) until their next status change, as if it had gone live then.

        For reports and pacing over past days without waiting days; later changes (a pause
        through the API) keep their own effect.
        """
        with self._store.lock:
            campaign = self._store.get(str(campaign_id))
            if campaign is None or campaign.kind != "campaign":
                raise KeyError(campaign_id)
            nodes = [campaign]
            nodes += self._store.children("adset", "campaign_id", campaign.id)
            nodes += self._store.children("ad", "campaign_id", campaign.id)
            for node in nodes:
                later = [(t, s) for t, s in node.meta.get("status_log", []) if t > since]
                node.meta["status_log"] = [(since, "ACTIVE"), *later]
                node.created = min(node.created, since)
                if node.kind == "ad":
                    node.meta["review_until"] = min(
                        float(node.meta.get("review_until", since)), since
                    )
                if node.kind == "adset" and node.data.get("start_time") is not None:
                    node.data["start_time"] = min(float(node.data["start_time"]), since)

    def finish_ad_review(self, ad_id: str) -> None:
        """Meta's review of the ad ends now (approved, or the disapproval queued for it).

        Lets a story decide when the review ends instead of racing ``ad_review_seconds``.
        """
        with self._store.lock:
            node = self._store.get(str(ad_id))
            if node is None or node.kind != "ad":
                raise KeyError(ad_id)
            node.meta["review_until"] = min(float(node.meta.get("review_until", 0.0)), self.clock())
            node.updated = self.clock()

    def disable_account(
        self, account_id: str, disable_reason: int = 1, account_status: int = 2
    ) -> None:
        """The account stops delivering now: ``account_status`` 2 (DISABLED) and Meta's
        ``disable_reason`` enum (1 ADS_INTEGRITY_POLICY) on reads; insights stop growing."""
        with self._store.lock:
            account = self._store.accounts[account_id]
            account.account_status = account_status
            account.disable_reason = disable_reason
            account.disabled_at = self.clock()

    def reach_spend_cap(self, account_id: str) -> int:
        """Set the account's ``spend_cap`` to what it has spent (minor units, returned): reads
        show ``amount_spent == spend_cap`` and delivery stops now."""
        with self._store.lock:
            account = self._store.accounts[account_id]
            now = self.clock()
            spent = account_spent_minor(self._store, account, now, self._settings.insights_seed)
            account.spend_cap = max(1, spent)
            account.capped_at = now
            return account.spend_cap

    def fail_next_report_run(self) -> None:
        """The next async report run (POST /act_X/insights) ends ``Job Failed``."""
        with self._store.lock:
            insights_state(self._store).fail_next_run = True

    # -- faults ----------------------------------------------------------------------------

    def inject(self, fault: Fault) -> Fault:
        """Register a fault (see ``Fault``); returns it so tests can read ``fired``."""
        return self._faults.add(fault)

    def clear_faults(self) -> None:
        """Remove every injected fault."""
        self._faults.clear()

    def seed(self, value: int) -> None:
        """Seed the RNG behind ``Fault(rate=...)``."""
        self._faults.seed(value)

    # -- inspection ------------------------------------------------------------------------

    def _export(self, node: Node) -> dict[str, Any]:
        now = self.clock()
        out: dict[str, Any] = {"id": node.id, "account_id": node.account_id.removeprefix("act_")}
        out.update(node.data)
        out["created_time"] = node.created
        out["updated_time"] = node.updated
        if node.kind == "advideo":
            out["video_status"] = video_status(node, now, self._settings)["video_status"]
        else:
            out["effective_status"] = effective_status(node, self._store, now)
        if node.meta.get("issues_info") is not None:
            out["issues_info"] = node.meta["issues_info"]
        return out

    def objects(self, kind: str, include_deleted: bool = False) -> list[dict[str, Any]]:
        """Stored objects of ``kind`` (campaign, adset, adcreative, ad, advideo), newest first."""
        if kind not in NODE_TYPES:
            raise ValueError(f"kind must be one of {sorted(NODE_TYPES)}")
        with self._store.lock:
            return [
                self._export(n)
                for n in self._store.of_kind(kind)
                if include_deleted or not n.deleted
            ]

    def get_object(self, object_id: str) -> dict[str, Any] | None:
        """One stored object by id (deleted ones included)."""
        with self._store.lock:
            node = self._store.get(str(object_id))
            return self._export(node) if node is not None else None

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far (batch items included, ``via_batch=True``)."""
        return list(self._app.requests)

    def clear_requests(self) -> None:
        """Forget recorded requests."""
        self._app.requests.clear()

    def set_status(
        self,
        object_id: str,
        effective_status: str | None = None,
        issues_info: list[dict[str, Any]] | None = None,
        configured_status: str | None = None,
    ) -> None:
        """Force what reads report (e.g. WITH_ISSUES + issues_info) for status-sync tests.

        ``effective_status=None`` removes a previous override.
        """
        with self._store.lock:
            node = self._store.get(str(object_id))
            if node is None:
                raise KeyError(object_id)
            node.meta["effective_status_override"] = effective_status
            node.meta["issues_info"] = issues_info
            if configured_status is not None:
                node.data["status"] = configured_status
                log_status(node, self.clock())
            node.updated = self.clock()

    def edit_object(self, object_id: str, **fields: Any) -> None:
        """Change stored fields as someone editing in Ads Manager would, bypassing the API.

        Derived reads follow (``advantage_state_info`` is computed from the ad sets on each read),
        e.g. ``edit_object(adset_id, targeting={..., "publisher_platforms": ["facebook"]})``.
        """
        with self._store.lock:
            node = self._store.get(str(object_id))
            if node is None:
                raise KeyError(object_id)
            node.data.update(fields)
            if "status" in fields and node.kind in ("campaign", "adset", "ad"):
                log_status(node, self.clock())
            node.updated = self.clock()

    def flip_enhancement_on(
        self, creative_id: str, feature: str | None = None, *, multi_advertiser: bool = False
    ) -> None:
        """Fault: Meta turns a creative setting back on after creation, as agencies report
        ("toggles auto-re-enabled"): ``feature`` of ``degrees_of_freedom_spec`` becomes OPT_IN,
        and with ``multi_advertiser`` the creative is enrolled in multi-advertiser ads
        (``contextual_multi_ads``). Reads show it from now on; the request that created the
        creative is untouched, as Meta's creative is no longer what was sent.
        """
        if feature is None and not multi_advertiser:
            raise ValueError("flip a feature, multi_advertiser, or both")
        with self._store.lock:
            node = self._store.get(str(creative_id))
            if node is None or node.kind != "adcreative":
                raise KeyError(creative_id)
            if feature is not None:
                spec = dict(node.data.get("degrees_of_freedom_spec") or {})
                features = dict(spec.get("creative_features_spec") or {})
                features[feature] = {"enroll_status": "OPT_IN"}
                node.data["degrees_of_freedom_spec"] = {**spec, "creative_features_spec": features}
            if multi_advertiser:
                node.data["contextual_multi_ads"] = {"enroll_status": "OPT_IN"}
            node.updated = self.clock()

    def reset(self, keep_config: bool = True) -> None:
        """Drop objects, requests, faults and usage; keep tokens/accounts/settings unless
        ``keep_config=False``."""
        self._store.clear_objects()
        self._faults.clear()
        self._limiter.reset()
        self.clear_requests()
        if not keep_config:
            with self._store.lock:
                self._store.tokens.clear()
                self._store.accounts.clear()
            fresh = Settings()
            for name in fresh.__dataclass_fields__:
                setattr(self._settings, name, getattr(fresh, name))
