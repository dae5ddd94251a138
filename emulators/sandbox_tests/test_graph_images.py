"""Image ads in the Graph emulator, as strict as Meta: ``act_X/adimages`` and ``link_data``.

Driven through the real, unmodified facebook_business SDK (``AdImage.remote_create`` sends the
file as a multipart part) and raw requests, like test_graph_emulator.py.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from facebook_business.adobjects.adaccount import AdAccount
from facebook_business.adobjects.adimage import AdImage
from facebook_business.api import FacebookAdsApi
from facebook_business.exceptions import FacebookRequestError

from sandbox.graph_emulator import GraphEmulator
from tests.media import make_test_image, make_test_video

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")  # SDK non-strict type warnings

TOKEN = "TEST_TOKEN"
ACT = "act_1234567890"
OTHER = "act_999"
PAGE = "1122334455"
VERSION = "v26.0"


@pytest.fixture
def emu() -> Iterator[GraphEmulator]:
    with GraphEmulator() as emulator:
        emulator.add_token(TOKEN)
        emulator.add_account(ACT, currency="SGD", page_ids=[PAGE], pixel_ids=["5566778899"])
        emulator.add_account(OTHER, currency="MYR", page_ids=["777"], pixel_ids=["888"])
        yield emulator


@pytest.fixture
def acct(emu: GraphEmulator) -> AdAccount:
    api = FacebookAdsApi.init(access_token=TOKEN, api_version=VERSION, crash_log=False)
    api._session.GRAPH = emu.url
    return AdAccount(ACT)


def _url(emu: GraphEmulator, path: str) -> str:
    return f"{emu.url}/{VERSION}/{path}"


def upload(emu: GraphEmulator, name: str, content: bytes, act: str = ACT) -> requests.Response:
    return requests.post(
        _url(emu, f"{act}/adimages"),
        data={"access_token": TOKEN},
        files={name: (name, content)},
        timeout=10,
    )


def list_images(emu: GraphEmulator, act: str = ACT, **params: Any) -> list[dict[str, Any]]:
    params.setdefault("access_token", TOKEN)
    answer = requests.get(_url(emu, f"{act}/adimages"), params=params, timeout=10).json()
    return list(answer["data"])


def image_creative(digest: str, **over: Any) -> dict[str, Any]:
    link_data: dict[str, Any] = {
        "image_hash": digest,
        "link": "https://shop.example/sg",
        "message": "Notes that write themselves.",
        "name": "AINOTE 2",
        "description": "Free shipping in SG",
        "call_to_action": {"type": "SHOP_NOW", "value": {"link": "https://shop.example/sg"}},
    }
    link_data.update(over)
    return {
        "name": "AdBee image creative",
        "object_story_spec": {"page_id": PAGE, "link_data": link_data},
    }


def test_the_sdk_uploads_an_image_as_a_file_part_and_meta_answers_its_md5(
    emu: GraphEmulator, acct: AdAccount, tmp_path: Path
) -> None:
    path = tmp_path / "hero.jpg"
    data = make_test_image(path, width=1200, height=628)
    image = AdImage(parent_id=ACT)
    image[AdImage.Field.filename] = str(path)
    image.remote_create()
    assert image[AdImage.Field.hash] == hashlib.md5(data).hexdigest()
    # The same bytes again are the same image: Meta addresses images by content.
    again = upload(emu, "copy.jpg", data).json()
    assert again["images"]["copy.jpg"]["hash"] == image[AdImage.Field.hash]
    assert len(list_images(emu)) == 1
    served = requests.get(again["images"]["copy.jpg"]["url"], timeout=10)
    assert served.status_code == 200 and served.content == data


@pytest.mark.parametrize(
    ("content", "subcode", "title"),
    [
        (b"%PDF-1.7 not a picture at all", 1487411, "FileTypeNotSupported"),
        (b"", 1487411, "FileTypeNotSupported"),
        ("video", 1487411, "FileTypeNotSupported"),
        ("cut", 1487197, "Error processing image"),
    ],
)
def test_an_upload_that_is_no_readable_picture_is_refused_with_metas_error(
    emu: GraphEmulator, tmp_path: Path, content: bytes | str, subcode: int, title: str
) -> None:
    if content == "video":
        content = make_test_video(tmp_path / "ad.mp4", seconds=0.5).read_bytes()
    elif content == "cut":
        whole = make_test_image(width=800, height=800, format="PNG")
        content = whole[: len(whole) // 2]
    assert isinstance(content, bytes)
    error = upload(emu, "hero.jpg", content).json()["error"]
    assert (error["code"], error["error_subcode"], error["error_user_title"]) == (
        100,
        subcode,
        title,
    )
    assert list_images(emu) == []


def test_images_are_read_by_their_hashes_and_belong_to_one_account(emu: GraphEmulator) -> None:
    first = upload(emu, "a.jpg", make_test_image(colour=(1, 2, 3))).json()["images"]["a.jpg"]
    upload(emu, "b.png", make_test_image(format="PNG", colour=(4, 5, 6)))
    found = list_images(emu, hashes=json.dumps([first["hash"]]), fields="hash,width,height,name")
    assert found == [
        {
            "id": f"1234567890:{first['hash']}",
            "hash": first["hash"],
            "width": 1080,
            "height": 1080,
            "name": "a.jpg",
        }
    ]
    assert list_images(emu, hashes=json.dumps(["0" * 32])) == []
    assert list_images(emu, OTHER) == []


def test_an_image_creative_needs_an_image_hash_of_its_own_account(
    emu: GraphEmulator, acct: AdAccount
) -> None:
    digest = upload(emu, "hero.jpg", make_test_image()).json()["images"]["hero.jpg"]["hash"]
    elsewhere = upload(emu, "x.jpg", make_test_image(colour=(9, 9, 9)), OTHER).json()
    foreign = elsewhere["images"]["x.jpg"]["hash"]
    for bad in (foreign, "0" * 32):
        with pytest.raises(FacebookRequestError) as refused:
            acct.create_ad_creative(params=image_creative(bad))
        body = refused.value.body()["error"]
        assert (body["error_subcode"], body["error_user_title"]) == (1487212, "Missing Image")
    with pytest.raises(FacebookRequestError) as unknown_key:
        acct.create_ad_creative(params=image_creative(digest, video_id="1"))
    assert 'Invalid keys "video_id"' in unknown_key.value.api_error_message()
    creative = acct.create_ad_creative(params=image_creative(digest))
    read = requests.get(
        _url(emu, creative["id"]),
        params={"access_token": TOKEN, "fields": "object_type,image_hash,thumbnail_url"},
        timeout=10,
    ).json()
    assert read["object_type"] == "SHARE" and read["image_hash"] == digest
    # The approval card's thumbnail: the picture itself.
    assert requests.get(read["thumbnail_url"], timeout=10).content == make_test_image()


def test_an_image_is_deleted_by_hash_once_no_creative_shows_it(
    emu: GraphEmulator, acct: AdAccount
) -> None:
    digest = upload(emu, "hero.jpg", make_test_image()).json()["images"]["hero.jpg"]["hash"]
    creative = acct.create_ad_creative(params=image_creative(digest))

    def delete() -> dict[str, Any]:
        return dict(
            requests.delete(
                _url(emu, f"{ACT}/adimages"),
                params={"access_token": TOKEN, "hash": digest},
                timeout=10,
            ).json()
        )

    assert delete()["error"]["error_user_title"] == "Image In Use"
    requests.delete(_url(emu, creative["id"]), params={"access_token": TOKEN}, timeout=10)
    assert delete() == {"success": True}
    assert list_images(emu) == []
    assert delete()["error"]["error_user_title"] == "Image Not Found"
