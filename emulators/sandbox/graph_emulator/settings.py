"""Tunable behaviour of the emulator, shared by every module.

Kept as one mutable dataclass so tests can flip a knob on the live emulator
(``emu.ad_review_seconds = 0``) and the very next request sees it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Minimum daily budget per currency in minor units (platform-facts.md §7: no authoritative table;
# SGD 1.35 / USD 1.00 / MYR 4.12 are the emulator defaults [INFER]).
DEFAULT_MIN_DAILY_BUDGETS: dict[str, int] = {"SGD": 135, "USD": 100, "MYR": 412}

# Currencies whose Meta offset is 1 (no minor unit) — platform-facts.md §7.
OFFSET_ONE_CURRENCIES = frozenset(
    {"CLP", "COP", "CRC", "HUF", "ISK", "IDR", "JPY", "KRW", "PYG", "TWD", "VND"}
)


@dataclass
class Settings:
    """Every knob of the emulator (see GraphEmulator for the public names)."""

    app_secret: str | None = None
    video_processing_seconds: float = 2.0
    fail_video_processing_next: bool = False
    ad_review_seconds: float = 1.0
    in_process_seconds: float = 0.0
    latency_ms: float = 0.0
    chunk_size: int = 4 * 1024 * 1024
    # Resumable sessions die eventually at Meta (duration unknown); None = never expire.
    upload_session_ttl_seconds: float | None = None
    # COMM: a 234 MB single multipart POST got HTTP 413 with an empty body (platform-facts.md §1.1).
    max_simple_upload_bytes: int = 100 * 1024 * 1024
    # Fail processing of uploads that are not a video on Meta's list of formats (media.py).
    strict_media: bool = True
    max_score: int = 9000
    score_decay_seconds: float = 300.0
    score_block_seconds: float = 60.0
    score_error_code: int = 17
    max_mutation_qps: float | None = None
    access_tier: str = "standard_access"
    min_daily_budgets: dict[str, int] = field(
        default_factory=lambda: dict(DEFAULT_MIN_DAILY_BUDGETS)
    )
    fallback_min_daily_budget: int = 100
    # Brief: OFFSITE_CONVERSIONS ad sets must optimise for PURCHASE (AdBee only sells).
    require_purchase_event: bool = True
    page_size: int = 25
    # The most an edge's ``limit`` gets (reads.page_limit: Meta caps per edge, number unpublished).
    max_page_size: int = 100
    max_batch: int = 50
    # Insights (insights.py): noise seed; seconds an async report run takes; the per-account
    # insights budget per hour behind x-fb-ads-insights-throttle (Meta: 600 + 400 x active ads
    # on the lower tier, platform-facts.md §5); a forced utilisation percentage (None = computed);
    # the regain estimate sent with 80000.
    insights_seed: int = 15
    insights_async_seconds: float = 0.0
    insights_calls_per_hour: int = 600
    insights_throttle_pct: float | None = None
    insights_regain_minutes: int = 1
