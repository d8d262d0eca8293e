"""The one label and colour table every exporter uses for characterizations and ratings."""
from __future__ import annotations

from ..model import CMMI_V2_LABELS

#: characterizations in report order
ORDER = ("FI", "LI", "PI", "NI", "NY", "NA")
#: CMMI V2.0 labels for the same scale (``--scale cmmi-v2``); NA stays NA
CMMI_V2 = CMMI_V2_LABELS
FROM_CMMI_V2 = {v: k for k, v in CMMI_V2.items()}
#: long names, shown in legends
MEANING = {
    "FI": "Fully implemented", "LI": "Largely implemented", "PI": "Partially implemented",
    "NI": "Not implemented", "NY": "Not yet", "NA": "Not applicable",
    "FM": "Fully meets", "LM": "Largely meets", "PM": "Partially meets", "DM": "Does not meet",
}
#: fill colour (hex, no '#') and text colour per label: the same in xlsx and HTML
COLOURS = {
    "FI": ("1A7F37", "FFFFFF"), "LI": ("8BC34A", "000000"), "PI": ("F9C74F", "000000"),
    "NI": ("D62828", "FFFFFF"), "NY": ("BDBDBD", "000000"), "NA": ("ECEFF1", "555555"),
}
for _v2, _scampi in FROM_CMMI_V2.items():
    COLOURS.setdefault(_v2, COLOURS[_scampi])
#: goal / level rating colours
RATING_COLOURS = {"satisfied": ("1A7F37", "FFFFFF"), "unsatisfied": ("D62828", "FFFFFF"),
                  "not_rated": ("BDBDBD", "000000")}


def colour(label: str) -> tuple[str, str]:
    """(fill, text) colours of a characterization label in either scale."""
    return COLOURS.get(label, ("FFFFFF", "000000"))
#: capability level colours (CL0-CL3, not_rated), the same in xlsx and HTML
LEVEL_COLOURS = {"CL0": ("D62828", "FFFFFF"), "CL1": ("F9C74F", "000000"), "CL2": ("8BC34A", "000000"),
                 "CL3": ("1A7F37", "FFFFFF"), "not_rated": ("BDBDBD", "000000")}
#: the appraisal team's notes: strengths and recommendations are never shown like gaps
NOTE_COLOURS = {"strength": ("DCEBFA", "0B3D6E"), "recommendation": ("FFF4D6", "6B4E00"),
                "disagreement": ("FFE08A", "000000")}


def level_colour(level: str) -> tuple[str, str]:
    """(fill, text) colours of a capability level (CL0-CL3 or not_rated)."""
    return LEVEL_COLOURS.get(level, ("FFFFFF", "000000"))
