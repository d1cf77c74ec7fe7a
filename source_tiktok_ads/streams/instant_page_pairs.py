"""Which objective/goal pairs `pixel_instant_page_events` asks for, learning from TikTok's refusals.

The endpoint needs one objective type and one optimization goal per request and has no "all" form, and
which goals each objective accepts is not documented [?]: asked blindly, 220 pairs cost 220 requests per
advertiser for a handful of records. Its answer describes what TikTok offers for a pair (the Instant
Page events that optimization can use), not the advertiser's own data, so the pairs of campaigns an
advertiser runs would miss pairs it is offered but does not run yet; what TikTok refuses is what is
left out instead:
- a refused objective type ("objective_type: Invalid value ...") is not asked again with another goal:
  the value itself was refused;
- WEB_CONVERSIONS is documented as answering with CONVERSIONS data, so it is asked only with the goals
  CONVERSIONS was served for;
- the first advertiser of the run asks every other pair; the next ones ask only the pairs it was
  served, since TikTok names the pair it does not offer as a rule of the pair ("optimization_goal: X is
  not supported for objective_type Y"). An account offered a pair the first one was refused would miss
  its rows [?]; reading the stream alone with that advertiser first (`advertiser_ids`) asks every pair.
"""

from __future__ import annotations

import threading

# The endpoint documents two objective types; source-tiktok-marketing asks ten and gets rows for some of
# the undocumented ones, so all ten are asked: a refused one costs a skipped request, a missing one lost
# rows. WEB_CONVERSIONS is documented as an alias answering with CONVERSIONS data. The eight beyond the
# documented two are TikTok's campaign objective types; that they are exactly the ten Airbyte sends is
# our reading, not checked against its manifest [?].
INSTANT_PAGE_OBJECTIVES: tuple[str, ...] = (
    "CONVERSIONS",
    "APP_PROMOTION",
    "WEB_CONVERSIONS",
    "REACH",
    "TRAFFIC",
    "VIDEO_VIEWS",
    "LEAD_GENERATION",
    "ENGAGEMENT",
    "PRODUCT_SALES",
    "RF_REACH",
)
# Which goals each objective accepts here is not documented [?], so every goal Airbyte knows is asked
# for, and TikTok's 40002 for a combination it does not offer is skipped (TikTok's documented answer
# to an invalid combination).
INSTANT_PAGE_GOALS: tuple[str, ...] = (
    "CLICK",
    "CONVERT",
    "INSTALL",
    "IN_APP_EVENT",
    "SHOW",
    "REACH",
    "LEAD_GENERATION",
    "CONVERSATION",
    "FOLLOWERS",
    "PAGE_VISIT",
    "VALUE",
    "AUTOMATIC_VALUE_OPTIMIZATION",
    "GMV",
    "PURCHASES",
    "INITIATE_CHECKOUTS",
    "MT_LIVE_ROOM",
    "PRODUCT_CLICK_IN_LIVE",
    "ENGAGED_VIEW",
    "ENGAGED_VIEW_FIFTEEN",
    "TRAFFIC_LANDING_PAGE_VIEW",
    "DESTINATION_VISIT",
    "PREFERRED_LEAD",
)


OBJECTIVE_REFUSED = "objective_type:"
# Documented to answer with the data of the objective it stands for.
ALIASES = {"WEB_CONVERSIONS": "CONVERSIONS"}


class RefusedPairs:
    """What this run learned about the pairs: refused objective types and pairs, and the pairs served."""

    def __init__(self) -> None:
        # Held while an advertiser learns; the others wait for it.
        self.lock = threading.Lock()
        self.settled = False
        self._refused_objectives: set[str] = set()
        self._refused_pairs: set[tuple[str, str]] = set()

    def pairs_to_ask(self) -> list[tuple[str, str]]:
        """Every pair, objective by objective, until an advertiser has learned; then the pairs it was served."""
        pairs = [(objective, goal) for objective in INSTANT_PAGE_OBJECTIVES for goal in INSTANT_PAGE_GOALS]
        if not self.settled:
            return pairs
        return [pair for pair in pairs if self.worth_asking(*pair) and pair not in self._refused_pairs]

    def worth_asking(self, objective: str, goal: str) -> bool:
        """Whether what was learned so far leaves the pair open."""
        if objective in self._refused_objectives:
            return False
        alias_of = ALIASES.get(objective)
        return alias_of is None or (alias_of, goal) not in self._refused_pairs

    def refused(self, objective: str, goal: str, message: str) -> None:
        if message.startswith(OBJECTIVE_REFUSED):
            self._refused_objectives.add(objective)
        self._refused_pairs.add((objective, goal))

    def settle(self) -> None:
        """An advertiser asked every open pair: the next ones ask only what it was served."""
        self.settled = True
