"""Faithful Meta Graph API emulator for AdBee tests and local runs.

Public API: ``GraphEmulator``, ``Fault`` and ``RecordedRequest`` (see ``emulator.py``).

Routes (under every ``/vNN.0`` that Meta's version calendar has released and not yet expired at
the emulator's clock, see ``versions.py``; trailing slash optional):

- ``GET /act_X`` and ``GET /act_X/{campaigns,adsets,ads,adcreatives,advideos,adimages,
  minimum_budgets}`` (paging, ``effective_status`` / ``filtering``, ``summary``)
- ``POST /act_X/{campaigns,adsets,ads,adcreatives}`` (``fields=`` read-after-write,
  ``execution_options=["validate_only"]``)
- ``POST /act_X/advideos`` (``source`` multipart, ``file_url``, or ``upload_phase``
  start/transfer/finish/cancel) and ``DELETE /act_X/advideos?video_id=``
- ``POST /act_X/adimages`` (file parts or base64 ``bytes``)
- ``GET|POST|DELETE /<id>``, ``GET /<campaign>/{adsets,ads}``, ``GET /<adset>/ads``,
  ``GET|POST /<video>/thumbnails``
- ``POST /`` with ``batch=[...]``
- ``GET /emulator-media/...`` (unauthenticated stand-in for Meta's CDN URLs)
"""

from .emulator import GraphEmulator
from .faults import Fault
from .insights import InsightsScenario
from .wire import RecordedRequest

__all__ = ["Fault", "GraphEmulator", "InsightsScenario", "RecordedRequest"]
