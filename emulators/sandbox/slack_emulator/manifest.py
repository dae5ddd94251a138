"""What the emulated app is installed with: exactly what ``manifest.yml`` asks for.

Slack grants a bot token the scopes of its manifest's ``oauth_config.scopes.bot`` and nothing
else, and answers any method needing another one with ``missing_scope`` (plus ``needed`` and
``provided``). Reading the manifest here, instead of keeping a second list, makes a scope the bot
starts to use without adding it to the manifest fail the tests, as it would fail on install.

The same holds for events and the Home tab: Slack delivers only the events listed in
``settings.event_subscriptions.bot_events``, and a user sees the app's Home tab only when
``features.app_home.home_tab_enabled`` is true (Slack's manifest schema,
slackapi/manifest-schema ``schemas/manifest.schema.1.0.0.json``).
"""

from __future__ import annotations

from pathlib import Path

import yaml

# The app's manifest at the root of the checkout the emulators sit in (emulators/sandbox/slack_emulator/).
MANIFEST = Path(__file__).resolve().parents[3] / "manifest.yml"


def _load(path: Path) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path.name}: the manifest must be a mapping")
    return data


def manifest_scopes(path: Path = MANIFEST) -> tuple[str, ...]:
    """``oauth_config.scopes.bot`` of the app manifest, in order."""
    data = _load(path)
    scopes = ((data.get("oauth_config") or {}).get("scopes") or {}).get("bot") or []
    if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
        raise ValueError(f"{path.name}: oauth_config.scopes.bot must be a list of scope names")
    return tuple(scopes)


def manifest_bot_events(path: Path = MANIFEST) -> tuple[str, ...]:
    """``settings.event_subscriptions.bot_events``: the only events Slack sends the app."""
    settings = _load(path).get("settings") or {}
    events = (settings.get("event_subscriptions") or {}).get("bot_events") or []
    if not isinstance(events, list) or not all(isinstance(e, str) for e in events):
        raise ValueError(f"{path.name}: settings.event_subscriptions.bot_events must be a list")
    return tuple(events)


def manifest_home_tab_enabled(path: Path = MANIFEST) -> bool:
    """``features.app_home.home_tab_enabled``: without it users have no Home tab to open."""
    features = _load(path).get("features") or {}
    return (features.get("app_home") or {}).get("home_tab_enabled") is True
