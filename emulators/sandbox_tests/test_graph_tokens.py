"""The Graph emulator answers /debug_token and /me as Meta documents them (see tokens.py)."""

from __future__ import annotations

import time

import pytest
import requests

from sandbox.graph_emulator import GraphEmulator


@pytest.fixture
def emulator():
    with GraphEmulator() as graph:
        yield graph


def get(graph: GraphEmulator, path: str, token: str, **params: str) -> requests.Response:
    return requests.get(f"{graph.url}/v26.0/{path}", params={"access_token": token, **params})


def test_debug_token_reports_expiry_scopes_and_the_system_user(emulator):
    expires = int(time.time()) + 5 * 86_400
    emulator.add_token("tok", expires_at=expires, scopes=["ads_read"])
    answer = get(emulator, "debug_token", "tok", input_token="tok")
    assert answer.status_code == 200
    data = answer.json()["data"]
    assert data["is_valid"] is True
    assert data["expires_at"] == expires
    assert data["scopes"] == ["ads_read"]
    assert data["type"] == "SYSTEM_USER"
    assert set(data) >= {"app_id", "application", "issued_at", "user_id"}


def test_a_token_that_never_expires_reports_zero(emulator):
    emulator.add_token("forever")
    assert (
        get(emulator, "debug_token", "forever", input_token="forever").json()["data"]["expires_at"]
        == 0
    )


def test_an_unknown_input_token_is_invalid_with_an_error_and_http_200(emulator):
    emulator.add_token("tok")
    answer = get(emulator, "debug_token", "tok", input_token="nope")
    assert answer.status_code == 200
    data = answer.json()["data"]
    assert data["is_valid"] is False
    assert data["error"]["code"] == 190


def test_a_token_past_its_expiry_is_refused_like_an_expired_one(emulator):
    emulator.add_token("old", expires_at=time.time() - 60)
    answer = get(emulator, "me", "old")
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert (error["code"], error["error_subcode"]) == (190, 463)


def test_me_and_its_permissions(emulator):
    emulator.add_token("tok", scopes=["ads_management", "ads_read"])
    assert get(emulator, "me", "tok").json()["id"]
    permissions = get(emulator, "me/permissions", "tok").json()["data"]
    assert {"permission": "ads_read", "status": "granted"} in permissions


def test_debug_token_needs_its_input_token(emulator):
    emulator.add_token("tok")
    answer = get(emulator, "debug_token", "tok")
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == 100
