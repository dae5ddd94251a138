"""A budget below Meta's own minimum for the account is refused before the video goes up.

Meta's figure comes from ``GET act_<id>/minimum_budgets`` (``min_daily_budget_imp``, minor
units); the emulator serves it from its per-currency settings and refuses an ad set (or a
campaign budget) below it with 100/1885272, as Meta does.
"""

from __future__ import annotations

import io

import pytest

from bot.cli import main
from meta.domain.minimum_budgets import MinimumBudgets
from sandbox.graph_emulator import Fault, GraphEmulator
from tests.helpers import nothing_sent_but_budget_reads, write_campaign


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def budget_reads(graph: GraphEmulator) -> list:
    return [r for r in graph.requests if r.path.endswith("/act_1234567890/minimum_budgets")]


@pytest.mark.usefixtures("meta_env")
def test_a_budget_below_metas_figure_is_refused_before_the_upload_with_metas_number(
    graph, tmp_path
):
    graph.min_daily_budgets = {**graph.min_daily_budgets, "SGD": 500}  # this account: SGD 5.00

    code, out = run("create", str(write_campaign(tmp_path, daily_budget=3)))

    assert code == 1, out
    assert (
        "  - daily_budget: SGD 3.00 is below Meta's minimum of SGD 5.00 per day for this ad account"
    ) in out
    assert "offline estimate" not in out
    assert nothing_sent_but_budget_reads(graph) and len(budget_reads(graph)) == 1


@pytest.mark.usefixtures("meta_env")
def test_a_budget_metas_figure_allows_is_not_refused_by_a_guessed_table(graph, tmp_path):
    graph.min_daily_budgets = {**graph.min_daily_budgets, "SGD": 100}  # Meta: SGD 1.00

    code, out = run("create", str(write_campaign(tmp_path, daily_budget="1.20")))

    assert code == 0, out
    assert graph.objects("campaign")[0]["daily_budget"] == 120


@pytest.mark.usefixtures("meta_env")
def test_when_metas_figure_cannot_be_read_the_offline_estimate_says_so(graph, tmp_path):
    graph.inject(Fault(code=2, times=None, path_contains="/minimum_budgets", http_status=503))

    code, out = run("create", str(write_campaign(tmp_path, daily_budget=1)))

    assert code == 1, out
    assert "SGD 1.00 is below Meta's minimum of SGD 1.35 per day (AdBee's offline estimate; " in out
    assert "Meta's own figure could not be read: " in out
    assert nothing_sent_but_budget_reads(graph)


@pytest.mark.usefixtures("meta_env")
def test_validate_works_offline_and_labels_the_estimate(graph, tmp_path):
    code, out = run("validate", str(write_campaign(tmp_path, daily_budget=1)))

    assert code == 1, out
    assert (
        "(AdBee's offline estimate; Meta's own figure could not be read: this command works" in out
    )
    assert graph.requests == []


def test_metas_figure_is_read_once_a_day_per_account(graph, accounts):
    from meta.graph.client import GraphClient, MetaConfig
    from sandbox.seeding import SANDBOX_META_TOKEN

    now = [1000.0]
    client = GraphClient(MetaConfig(access_token=SANDBOX_META_TOKEN, graph_url=graph.url))
    floors = MinimumBudgets(client, clock=lambda: now[0])
    sg, us = accounts.get("iflytek-sg"), accounts.get("iflytek-us")

    assert floors(sg).minor == 135 and floors(sg).from_meta
    assert floors(us).minor == 100
    now[0] += 23 * 3600
    floors(sg)
    assert len(budget_reads(graph)) == 1
    now[0] += 2 * 3600  # a day later Meta's figure is read again
    graph.min_daily_budgets = {**graph.min_daily_budgets, "SGD": 700}
    assert floors(sg).minor == 700
    assert len(budget_reads(graph)) == 2


def test_a_failed_read_is_retried_a_minute_later_not_a_day(graph, accounts):
    from meta.graph.client import GraphClient, MetaConfig
    from sandbox.seeding import SANDBOX_META_TOKEN

    now = [0.0]
    client = GraphClient(
        MetaConfig(access_token=SANDBOX_META_TOKEN, graph_url=graph.url, retry_attempts=1)
    )
    floors = MinimumBudgets(client, clock=lambda: now[0])
    sg = accounts.get("iflytek-sg")
    graph.inject(Fault(code=2, times=1, path_contains="/minimum_budgets", http_status=503))

    assert not floors(sg).from_meta
    now[0] += 61
    assert floors(sg).from_meta and floors(sg).minor == 135


def test_the_bot_reads_every_accounts_figure_ahead_so_the_form_check_asks_meta_nothing(
    graph, accounts
):
    from meta.graph.client import GraphClient, MetaConfig
    from sandbox.seeding import SANDBOX_META_TOKEN

    now = [1000.0]
    client = GraphClient(MetaConfig(access_token=SANDBOX_META_TOKEN, graph_url=graph.url))
    floors = MinimumBudgets(client, clock=lambda: now[0])
    every = accounts.all()

    assert floors.warm(every) == len(every)
    graph.clear_requests()
    assert all(floors(account).from_meta for account in every)  # the form's check
    assert graph.requests == []
    now[0] += 3600
    assert floors.warm(every) == 0  # still 22 hours to go: nothing to read
    now[0] += 22 * 3600  # within an hour of expiry: read again before any form needs it
    assert floors.warm(every) == len(every)


def test_warming_with_meta_away_keeps_the_labelled_estimate_and_tries_again(graph, accounts):
    from meta.graph.client import GraphClient, MetaConfig
    from sandbox.seeding import SANDBOX_META_TOKEN

    client = GraphClient(
        MetaConfig(access_token=SANDBOX_META_TOKEN, graph_url=graph.url, retry_attempts=1)
    )
    floors = MinimumBudgets(client)
    sg = accounts.get("iflytek-sg")
    graph.inject(Fault(code=2, times=1, path_contains="/minimum_budgets", http_status=503))

    assert floors.warm([sg]) == 1
    assert not floors(sg).from_meta  # the form still works, on the labelled estimate
    assert floors.warm([sg]) == 1  # a failed figure is read again at the next warm-up
    assert floors(sg).from_meta
