"""A request run again takes over the campaign it made before its run died, and only that one.

The campaign row is inserted with the Slack message that shows its request, so a retry knows its
own campaign (same account, name and message) from another request's of the same name: its own
is returned whatever its status, another's is refused as it always was. A bulk row's message is
its batch message, shared by every row of the sheet, whose names are unique.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.bootstrap import build_services
from bot.settings import Settings
from meta.domain.states import Status
from meta.services.campaigns import CampaignService
from meta.services.pipeline import AlreadyCreatedError
from sandbox.graph_emulator import GraphEmulator
from sandbox.seeding import SANDBOX_META_TOKEN
from tests.helpers import campaign_body
from tests.store_fixtures import set_columns

ROOT = Path(__file__).resolve().parents[3]
CHANNEL = "C_CAMPAIGNS"
BATCH_TS = "1700000000.000100"


@pytest.fixture
def campaigns(graph: GraphEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(ROOT)
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        meta_access_token=SANDBOX_META_TOKEN,
        meta_graph_url=graph.url,
        meta_video_url=graph.url,
        database_url=f"sqlite:///{tmp_path / 'a.db'}",
        adbee_sandbox=True,
    )
    return build_services(settings, base_dir=ROOT).campaigns


def start(campaigns: CampaignService, name: str, ts: str):
    spec = campaigns.validate(campaign_body(name=name))
    return campaigns.start_creation(
        spec, requested_by="U1", source="slack", slack_channel=CHANNEL, slack_ts=ts
    )


def test_the_campaign_row_is_inserted_with_the_message_of_its_request(campaigns, monkeypatch):
    def second_write(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the message is written by a second write after the insert")

    monkeypatch.setattr(campaigns.store, "set_slack_message", second_write)
    made = start(campaigns, "Launch SG", "1700000000.000001")
    row = campaigns.store.get(made.id)
    assert (row.slack_channel, row.slack_ts) == (CHANNEL, "1700000000.000001")


@pytest.mark.parametrize("status", [Status.CREATING, Status.CREATED, Status.SCHEDULED])
def test_a_request_run_again_takes_over_its_own_campaign_whatever_its_status(campaigns, status):
    made = start(campaigns, "Launch SG", "1700000000.000001")
    set_columns(campaigns.store, made.id, status=status)  # how far the orphan got meanwhile

    again = start(campaigns, "Launch SG", "1700000000.000001")

    assert again.id == made.id and again.status == status
    assert len(campaigns.store.list_campaigns(limit=None)) == 1


def test_a_campaign_of_the_same_name_from_another_message_is_still_refused(campaigns):
    made = start(campaigns, "Launch SG", "1700000000.000001")
    set_columns(campaigns.store, made.id, status=Status.CREATED)

    with pytest.raises(AlreadyCreatedError, match="already exists"):
        start(campaigns, "Launch SG", "1700000000.000002")


def test_a_bulk_row_run_again_takes_over_its_own_row_and_not_another_rows(campaigns):
    """Every row of a sheet is shown in its batch message; the name tells the rows apart."""
    first = start(campaigns, "Bulk 1", BATCH_TS)
    set_columns(campaigns.store, first.id, status=Status.CREATED)

    assert start(campaigns, "Bulk 1", BATCH_TS).id == first.id  # row 1 again: its own
    second = start(campaigns, "Bulk 2", BATCH_TS)  # row 2: a campaign of its own
    assert second.id != first.id
    with pytest.raises(AlreadyCreatedError):  # the same name in another batch's message
        start(campaigns, "Bulk 1", "1700000000.000999")
