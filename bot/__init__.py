"""AdBee: the Slack bot and its command line."""

__version__ = "0.1.0"  # keep equal to pyproject.toml (tests/bot/test_cli_basics.py checks)
