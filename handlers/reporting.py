"""Posting a campaign's report: the table, then its chart, in the campaign's thread.

Shared by ``/campaign report`` and the Report button of pacing alerts, so both post the same
message and PNG the same way.
"""

from __future__ import annotations

from slack_sdk import WebClient

from handlers.blocks.report import build_report, chart_alt_text, chart_filename
from meta.services.reports import CampaignReport, chart_png


def post_report(client: WebClient, report: CampaignReport, *, fallback_channel: str) -> bool:
    """Post in the campaign's thread, or in ``fallback_channel`` for a campaign without one.

    Returns whether it went to the campaign's thread.
    """
    summary = report.summary
    channel = summary.slack_channel or fallback_channel
    thread_ts = summary.slack_ts if summary.slack_channel else None
    client.chat_postMessage(channel=channel, thread_ts=thread_ts, **build_report(report))
    client.files_upload_v2(
        channel=channel,
        thread_ts=thread_ts,
        content=chart_png(report),
        filename=chart_filename(report),
        title=report.title,
        alt_txt=chart_alt_text(report),
    )
    return thread_ts is not None
