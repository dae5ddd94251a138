"""The use cases: create (pipeline), approve and act (lifecycle), activate, sync, alert.

They combine the domain, the Graph client and video checks, and persist every step through
``storage``; nothing here imports Slack.
"""
