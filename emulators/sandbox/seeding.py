"""Make the Graph API emulator know the accounts in ``configs/accounts.yaml``.

The demo and the tests run against the same accounts file a team edits, so what they prove holds
for that configuration (pages, pixels, verified identities all line up).
"""

from __future__ import annotations

from meta.domain.accounts import AccountRegistry
from meta.domain.regulation import declared_identities
from sandbox.graph_emulator import GraphEmulator

SANDBOX_META_TOKEN = "sandbox-meta-token"


def seed_graph(
    emulator: GraphEmulator, accounts: AccountRegistry, token: str = SANDBOX_META_TOKEN
) -> None:
    emulator.add_token(token)
    for account in accounts.all():
        # Every verified identity the accounts file names (Singapore, Taiwan, ...).
        identities = declared_identities([account.regulation])
        emulator.add_account(
            account.ad_account_id,
            currency=account.currency,
            timezone_name=account.timezone,
            page_ids=[account.page_id],
            pixel_ids=[account.pixel_id],
            instagram_user_ids=[account.instagram_user_id] if account.instagram_user_id else [],
            verified_identity_ids=sorted(identities),
            name=account.name,
        )
