"""Checks of video files by their content: kinds (sniffing), Meta's specs, processing waits."""
