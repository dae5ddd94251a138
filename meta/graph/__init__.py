"""The Graph API client: requests, Meta's errors, retries and throttles, payloads, versions.

``client`` is the only module that imports the facebook_business SDK. ``upload`` is the chunked
video upload: it speaks Graph's upload protocol to the video host and shares this room's error
parsing and retry policy, so it lives here rather than with the file checks in ``meta.video``.
"""
