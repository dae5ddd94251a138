"""The campaign's own rules: what a campaign is, what it may spend, where and when it runs.

Pure code: no Graph client, no video decoding, no storage. Talking to Meta happens through the
``ports`` protocols, which the Graph client implements and tests fake.
"""
