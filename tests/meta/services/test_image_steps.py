"""An image's upload is a persisted step: uploaded once, its lost answer adopted by its md5.

Real store (SQLite), real Graph client, the Graph emulator as Meta.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from meta.domain.records import ObjectKind, ObjectRef
from meta.domain.states import Step
from meta.graph.client import GraphClient, MetaConfig
from meta.services.images import ImageMissingError, ImageSteps
from sandbox.graph_emulator import Fault, GraphEmulator
from sandbox.seeding import SANDBOX_META_TOKEN
from storage.db import create_schema, make_engine, make_session_factory
from storage.repository import CampaignStore
from tests.media import make_test_image

HERO = ObjectRef(ObjectKind.IMAGE, "2")


@pytest.fixture
def store(tmp_path: Path) -> CampaignStore:
    engine = make_engine(f"sqlite:///{tmp_path / 'images.db'}")
    create_schema(engine)
    return CampaignStore(make_session_factory(engine))


@pytest.fixture
def client(graph: GraphEmulator) -> GraphClient:
    return GraphClient(
        MetaConfig(access_token=SANDBOX_META_TOKEN, graph_url=graph.url, retry_base_delay=0.01)
    )


def a_creation(store: CampaignStore, account: str) -> int:
    row = store.add_campaign(
        account_key="iflytek-sg",
        ad_account_id=account,
        name="AINOTE2 launch SG",
        spec={},
        requested_by=None,
        source="test",
        start_time=datetime.now(UTC),
    )
    return row.id


def uploads(graph: GraphEmulator) -> int:
    return sum(1 for r in graph.requests if r.method == "POST" and r.path.endswith("/adimages"))


def test_an_image_is_uploaded_once_and_its_hash_is_the_md5_of_its_bytes(
    store: CampaignStore, client: GraphClient, graph: GraphEmulator, accounts, tmp_path: Path
) -> None:
    account = accounts.get("iflytek-sg").ad_account_id
    path = tmp_path / "ainote2 hero.jpg"
    data = make_test_image(path)
    campaign = a_creation(store, account)
    steps = ImageSteps(store, client)

    digest = steps.ensure(campaign, HERO, path, account)

    assert digest == hashlib.md5(data).hexdigest()
    image = store.get(campaign).object(HERO)
    assert (image.meta_id, image.pending, image.name) == (digest, False, "ainote2 hero.jpg")
    assert image.thumbnail_url and image.thumbnail_url.startswith(graph.url)
    # Done is done: a resumed run neither uploads nor reads again.
    before = len(graph.requests)
    assert steps.ensure(campaign, HERO, path, account) == digest
    assert len(graph.requests) == before
    assert uploads(graph) == 1


def test_an_upload_whose_answer_was_lost_is_found_by_its_md5_not_sent_again(
    store: CampaignStore, client: GraphClient, graph: GraphEmulator, accounts, tmp_path: Path
) -> None:
    account = accounts.get("iflytek-sg").ad_account_id
    path = tmp_path / "hero.png"
    data = make_test_image(path, format="PNG", width=1080, height=1350)
    campaign = a_creation(store, account)
    # Meta stores the image, and the connection drops before its answer arrives.
    lost = graph.inject(Fault(method="POST", path_contains="/adimages", drop_connection=True))
    no_retry = GraphClient(
        MetaConfig(access_token=SANDBOX_META_TOKEN, graph_url=graph.url, retry_attempts=1)
    )

    digest = ImageSteps(store, no_retry).ensure(campaign, HERO, path, account)

    assert lost.fired == 1
    assert digest == hashlib.md5(data).hexdigest()
    assert uploads(graph) == 1  # found through ?hashes=[...], not uploaded again
    assert not store.get(campaign).is_pending(HERO)


def test_a_run_that_died_after_the_upload_is_resumed_by_adopting_the_image(
    store: CampaignStore, client: GraphClient, graph: GraphEmulator, accounts, tmp_path: Path
) -> None:
    account = accounts.get("iflytek-sg").ad_account_id
    path = tmp_path / "hero.jpg"
    make_test_image(path)
    campaign = a_creation(store, account)
    # The run marked the image pending, uploaded it and was killed before recording the answer.
    store.mark_pending(campaign, HERO, step=Step.IMAGE)
    GraphClient(MetaConfig(access_token=SANDBOX_META_TOKEN, graph_url=graph.url)).post_file(
        f"{account}/adimages", {}, field="hero.jpg", filename="hero.jpg", content=path.read_bytes()
    )

    digest = ImageSteps(store, client).ensure(campaign, HERO, path, account)

    assert uploads(graph) == 1
    assert store.get(campaign).meta_id(HERO) == digest
    assert not store.get(campaign).is_pending(HERO)


def test_an_unfinished_image_whose_file_is_gone_asks_for_it_again(
    store: CampaignStore, client: GraphClient, accounts, tmp_path: Path
) -> None:
    account = accounts.get("iflytek-sg").ad_account_id
    campaign = a_creation(store, account)
    with pytest.raises(ImageMissingError, match="attach the image"):
        ImageSteps(store, client).ensure(campaign, HERO, tmp_path / "gone.jpg", account)
