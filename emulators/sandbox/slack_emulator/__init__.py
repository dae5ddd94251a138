"""A loopback Slack (Web API + Socket Mode) for running the real Bolt app in tests.

See ``emulator.SlackEmulator`` for the entry point; the platform facts it reproduces are cited
where each is implemented (Slack's docs and ``slack_sdk``).
"""

from .emulator import SlackEmulator
from .payloads import FILE_INPUT_MAX_BYTES, UIValidationError
from .socket_mode import Envelope

__all__ = ["FILE_INPUT_MAX_BYTES", "Envelope", "SlackEmulator", "UIValidationError"]
