"""Meta sessions read the environment once (trust_env off) yet keep its proxy for their host."""

from __future__ import annotations

import pytest

from meta.graph.client import GraphClient, MetaConfig
from meta.graph.http import new_session
from meta.graph.upload import VideoUploader


def test_sessions_do_not_reread_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("NO_PROXY", "video.internal")
    client = GraphClient(MetaConfig(access_token="t", graph_url="https://graph.internal"))
    sdk_session = client._api._session.requests
    uploader = VideoUploader(
        video_url="https://video.internal",
        api_version="v26.0",
        access_token="t",
        appsecret_proof=None,
    )
    assert sdk_session.trust_env is False and uploader._http.trust_env is False
    assert sdk_session.proxies.get("https") == "http://proxy.internal:3128"
    assert "https" not in uploader._http.proxies  # NO_PROXY names its host


def test_a_ca_bundle_from_the_environment_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/corp.pem")
    assert new_session("https://graph.internal").verify == "/etc/ssl/corp.pem"
