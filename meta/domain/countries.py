"""ISO 3166-1 alpha-2 codes Meta accepts in ``geo_locations.countries``, and the EU/DSA set.

The markets with their own declarations (Singapore, Taiwan, the EU) are described in
``meta.domain.regulation``; this module only holds the country lists.
"""

from __future__ import annotations

# fmt: off
COUNTRY_CODES = frozenset("""
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR
    BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC
    EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK
    HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB
    LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ
    NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU
    RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN
    TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS XK YE YT ZA ZM ZW
""".split())  # noqa: SIM905 - the grid reads like the ISO table

# Ad sets that reach any of these need the EU Digital Services Act beneficiary and payor
# (``dsa_beneficiary`` / ``dsa_payor``). Meta's rule is "ads which target the EU, associated
# territories, or select global/worldwide" (developers.facebook.com/blog/post/2023/05/16/
# new-marketing-mpa-api-requirements-for-facebook-and-instagram-ads-targeting-eu). Meta's Business
# Help Center list of "countries and territories" (as quoted by practitioners' copies, e.g.
# globalists.de and conversionmaestro.com, 2023) is the 27 member states plus their territories;
# those with their own ISO 3166 code are the Åland Islands (AX) and the outermost regions French
# Guiana (GF), Guadeloupe (GP), Martinique (MQ), Mayotte (YT), Réunion (RE) and Saint Martin (MF).
# The Azores, Madeira, the Canary Islands, Ceuta/Melilla, Heligoland, Büsingen, Campione and
# Livigno are parts of PT/ES/DE/IT in ``geo_locations.countries``. Iceland, Liechtenstein and
# Norway (EEA, not EU) are not on Meta's list: the DSA is an EU regulation. [uncertain] Saint
# Martin is inferred from the outermost regions of the TFEU (art. 349); the quoted list was cut
# before "S". The Graph API emulator encodes the same rule on its own (its own citation) and
# emulators/sandbox_tests/test_graph_emulator_markets.py holds the two lists equal.
EU_MEMBER_STATES = frozenset("""
    AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE
""".split())  # noqa: SIM905
EU_TERRITORIES = frozenset("AX GF GP MQ RE YT MF".split())  # noqa: SIM905
DSA_COUNTRIES = EU_MEMBER_STATES | EU_TERRITORIES
# fmt: on
