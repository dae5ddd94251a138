"""The scopes the emulated app is installed with: exactly what ``manifest.yml`` asks for.

Slack grants a bot token the scopes of its manifest's ``oauth_config.scopes.bot`` and nothing
else, and answers any method needing another one with ``missing_scope`` (plus ``needed`` and
``provided``). Reading the manifest here, instead of keeping a second list, makes a scope the bot
starts to use without adding it to the manifest fail the tests, as it would fail on install.
"""

from __future__ import annotations

from pathlib import Path

import yaml

# The app's manifest at the root of the checkout the emulators sit in (emulators/sandbox/slack_emulator/).
MANIFEST = Path(__file__).resolve().parents[3] / "manifest.yml"


def manifest_scopes(path: Path = MANIFEST) -> tuple[str, ...]:
    """``oauth_config.scopes.bot`` of the app manifest, in order."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    scopes = ((data.get("oauth_config") or {}).get("scopes") or {}).get("bot") or []
    if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
        raise ValueError(f"{path.name}: oauth_config.scopes.bot must be a list of scope names")
    return tuple(scopes)
