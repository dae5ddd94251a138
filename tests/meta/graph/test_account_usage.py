"""Meta's usage headers, read per ad account: what the creation pool paces on."""

from __future__ import annotations

import json

from meta.graph.usage import AccountUsage


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def headers(pct: float, *, cpu: float = 0, reset: int = 120, account: str = "1234") -> dict:
    return {
        "x-business-use-case-usage": json.dumps(
            {
                account: [
                    {
                        "type": "ads_management",
                        "call_count": pct,
                        "total_cputime": cpu,
                        "total_time": 0,
                        "estimated_time_to_regain_access": 0,
                    }
                ]
            }
        ),
        "X-Ad-Account-Usage": json.dumps(
            {"acc_id_util_pct": pct / 2, "reset_time_duration": reset}
        ),
    }


def test_the_highest_figure_of_an_account_counts_and_its_peak_is_kept():
    usage = AccountUsage(clock=Clock())
    usage.record(headers(20, cpu=35))
    assert usage.percent("act_1234") == 35
    usage.record(headers(10))
    assert usage.percent("1234") == 10
    assert usage.peak == {"act_1234": 35}


def test_an_account_at_its_ceiling_holds_new_work_until_meta_says_less_or_the_window_ends():
    clock = Clock()
    usage = AccountUsage(clock=clock)
    usage.record(headers(60, reset=30))
    assert usage.hold_seconds("act_1234", ceiling=50) > 0
    assert usage.hold_seconds("act_999", ceiling=50) == 0  # another account goes on
    clock.now += 31  # the score window Meta named has rolled over
    assert usage.hold_seconds("act_1234", ceiling=50) == 0
    usage.record(headers(60))
    usage.record(headers(40))
    assert usage.hold_seconds("act_1234", ceiling=50) == 0


def test_insights_usage_and_malformed_headers_are_not_the_creation_limit():
    usage = AccountUsage(clock=Clock())
    usage.record({"X-Business-Use-Case-Usage": "{not json"})
    usage.record(
        {
            "X-Business-Use-Case-Usage": json.dumps(
                {"1234": [{"type": "ads_insights", "call_count": 95}]}
            )
        }
    )
    usage.record(None)
    assert usage.percent("act_1234") == 0
