"""At start-up (and in ``health``): is the bot a member of each configured channel?

The manifest's scopes do not include ``chat:write.public``, so Slack refuses every post to a
channel the bot was not invited to (``not_in_channel``): progress cards and alerts would vanish.
``conversations.info`` reports ``is_member`` for the bot; a private channel the bot is not in is
``channel_not_found``, the same answer a mistyped id gets (api.slack.com/methods/conversations.info).
It needs ``channels:read``, which the manifest does not ask for; without it, reading one message of
history (``channels:history``/``groups:history``, which the manifest has) answers ``not_in_channel``
for a channel the bot is not in (api.slack.com/methods/conversations.history, "Errors").
"""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.settings import Settings


def configured_channels(settings: Settings) -> dict[str, str]:
    channels = {}
    if settings.campaigns_channel:
        channels["CAMPAIGNS_CHANNEL"] = settings.campaigns_channel
    if settings.alerts_channel and settings.alerts_channel != settings.campaigns_channel:
        channels["ALERTS_CHANNEL"] = settings.alerts_channel
    return channels


def membership_problems(client: WebClient, settings: Settings) -> list[str]:
    """One sentence per channel the bot cannot post in, saying what to do; empty when all is well."""
    problems = []
    for setting, channel in configured_channels(settings).items():
        info: dict | None
        try:
            info = client.conversations_info(channel=channel).get("channel") or {}
        except SlackApiError as exc:
            info = None
            code = exc.response.get("error") if exc.response is not None else "unknown"
            if code == "missing_scope":
                info, code = _from_history(client, channel)
        if info is None:
            if code == "channel_not_found":
                problems.append(
                    f"{setting}={channel}: Slack does not show AdBee this channel "
                    "(channel_not_found): the id is wrong, or it is a private channel AdBee was "
                    "not invited to; type /invite @AdBee in it"
                )
            else:
                problems.append(f"{setting}={channel}: conversations.info failed ({code})")
            continue
        if info.get("is_archived"):
            problems.append(f"{setting}={channel} (#{info.get('name')}) is archived: pick another")
        elif not info.get("is_member"):
            where = f"#{info['name']}" if info.get("name") else "the channel"
            problems.append(
                f"AdBee is not a member of {where} ({setting}={channel}), "
                "so Slack refuses its posts there (not_in_channel): type /invite @AdBee in that "
                "channel"
            )
    return problems


def _from_history(client: WebClient, channel: str) -> tuple[dict | None, str]:
    """Membership without ``channels:read``: history answers ``not_in_channel`` to a non-member."""
    try:
        client.conversations_history(channel=channel, limit=1)
    except SlackApiError as exc:
        code = exc.response.get("error") if exc.response is not None else "unknown"
        if code == "not_in_channel":
            return {"is_member": False}, code
        return None, code
    return {"is_member": True}, "ok"
