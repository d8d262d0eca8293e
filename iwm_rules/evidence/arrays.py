"""Small array helpers shared by the evidence readers."""
from __future__ import annotations

import numpy as np


def repeated(n: int, value: object) -> np.ndarray:
    """An object array of ``n`` references to one ``value``.

    ``np.full(n, "text", dtype=object)`` makes a new string object per element (numpy goes
    through its own string type), which at a million rows is tens of megabytes per column
    for one repeated file name."""
    out = np.empty(n, dtype=object)
    out[:] = value  # a scalar (text, number or None)
    return out
