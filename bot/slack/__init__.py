"""The Slack side of the bot: the Bolt app, the creation flow after a modal submit, the campaign
message and alerts (the notifier), posting once, file download, the access policy and the
channel-membership check. Everything here talks to Slack; ``meta`` and ``storage`` never do."""
