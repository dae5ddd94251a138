"""Did Meta classify the campaign as Advantage+ Sales, and if not, which lever is off?

Since v23 Meta reports the classification read-only in the campaign field
``advantage_state_info`` (SDK ``Campaign.Field.advantage_state_info``, typed
``AdCampaignGroupAdvantageState`` with four string fields: ``advantage_state``,
``advantage_budget_state``, ``advantage_audience_state``, ``advantage_placement_state``).
``advantage_state`` is ``ADVANTAGE_PLUS_SALES`` only when all three levers are ``ENABLED``
(Meta's Advantage+ campaigns guide; meta-api.md §2): Advantage+ campaign budget (budget on the
campaign with a supported bid strategy), Advantage+ audience, Advantage+ placements (no placement
restrictions in any ad set). AdBee sends all three, but Meta decides; the approval card shows
Meta's verdict so nobody approves a campaign that silently is not what AdBee promised.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from meta.domain.ports import GraphApi

ADVANTAGE_PLUS_SALES = "ADVANTAGE_PLUS_SALES"
ENABLED = "ENABLED"
FIELD = "advantage_state_info"


@dataclass(frozen=True)
class Lever:
    name: str  # as Meta names it in Ads Manager
    key: str  # the sub-field of advantage_state_info
    fix: str  # what to change in Ads Manager to turn it on


LEVERS = (
    Lever(
        "Advantage+ campaign budget",
        "advantage_budget_state",
        "put the budget on the campaign (not the ad set) with the lowest-cost, cost-cap, bid-cap "
        "or ROAS-goal bid strategy",
    ),
    Lever(
        "Advantage+ audience",
        "advantage_audience_state",
        "turn Advantage+ audience on in the ad set (or keep only location targeting)",
    ),
    Lever(
        "Advantage+ placements",
        "advantage_placement_state",
        "remove every placement, platform and device restriction from the ad set",
    ),
)


@dataclass(frozen=True)
class AdvantageState:
    """Meta's ``advantage_state_info`` as read after creation (kept in ``last_sync``)."""

    state: str
    levers: dict[str, str]  # Lever.key -> ENABLED / DISABLED / whatever Meta said

    @classmethod
    def from_graph(cls, info: Any) -> AdvantageState | None:
        """Parse Meta's object; None when Meta sent nothing usable."""
        if not isinstance(info, dict) or not info.get("advantage_state"):
            return None
        levers = {lever.key: str(info.get(lever.key) or "UNKNOWN") for lever in LEVERS}
        return cls(state=str(info["advantage_state"]), levers=levers)

    def to_json(self) -> dict[str, str]:
        return {"advantage_state": self.state, **self.levers}

    @property
    def is_sales(self) -> bool:
        return self.state.upper() == ADVANTAGE_PLUS_SALES

    def levers_off(self) -> list[Lever]:
        """The levers Meta does not report ENABLED, in Meta's order."""
        return [lever for lever in LEVERS if self.levers.get(lever.key, "").upper() != ENABLED]


def read_advantage_state(graph: GraphApi, campaign_id: str) -> AdvantageState | None:
    """One GET of the campaign's classification."""
    body = graph.get(str(campaign_id), {"fields": FIELD})
    return AdvantageState.from_graph(body.get(FIELD))
