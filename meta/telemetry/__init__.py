"""Metrics and log context that every room may record into; they import nothing of AdBee."""
