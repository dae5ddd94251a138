"""``app_home_opened``: the user looks at AdBee's Home tab, so publish their dashboard.

Bolt acks the event before this runs; publishing is one ``views.publish`` for that user.
The Messages tab opens the same event with ``tab: messages``: nothing to publish then.
"""

from __future__ import annotations

from typing import Any

from handlers.ports import HomePort


def on_app_home_opened(event: dict[str, Any], home: HomePort) -> None:
    if event.get("tab", "home") == "home" and event.get("user"):
        home.publish_home(str(event["user"]))
