"""``requests`` sessions for Meta that read the environment once, not on every call.

A session with ``trust_env`` (requests' default) looks up the proxy variables, ``NO_PROXY`` and
``~/.netrc`` again for every request: 6-10 % of an activation's CPU in the issue-18 profile. The
sessions AdBee makes for Meta talk to one host each, so what the environment says for that host
is read here, once, when the session is made: its proxy (``HTTPS_PROXY``/``NO_PROXY``, as
requests would resolve them) and a CA bundle (``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE``). A
changed proxy setting therefore needs a restart, like every other setting.
"""

from __future__ import annotations

import os

import requests
from requests.utils import get_environ_proxies


def settle(session: requests.Session, url: str) -> requests.Session:
    """Stop ``session`` re-reading the environment per call, keeping what it says for ``url``."""
    session.trust_env = False
    session.proxies.update(get_environ_proxies(url))
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle and session.verify is True:
        session.verify = bundle
    return session


def new_session(url: str) -> requests.Session:
    """A ``requests.Session`` for calls to ``url``'s host (see ``settle``)."""
    return settle(requests.Session(), url)
