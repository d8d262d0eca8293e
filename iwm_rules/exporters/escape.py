"""Text written to spreadsheets and csv files must never become a formula (DESIGN §8).

A spreadsheet treats a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula (and
some also after a leading tab or carriage return). xlsx cells are written with
``write_string`` and keep their exact text; csv has no cell types, so such a cell gets a
leading ``'``, which spreadsheets show as text and do not evaluate.
"""
from __future__ import annotations

#: first characters that make a spreadsheet read a cell as a formula
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralize(value: object) -> object:
    """``value`` safe for a csv cell: text starting with a formula trigger gets a leading ``'``.

    Numbers and None pass unchanged (a number is never a formula)."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value
