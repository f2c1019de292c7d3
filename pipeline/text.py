"""Number-to-text rules shared by the CLI's sentences and the pages (ui.format builds on them).

Standard library only, so importing it costs nothing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

MISSING = "—"  # how any undefined number reads, in a sentence or on a page
MINUS = "\u2212"  # a true minus sign: a hyphen reads as a dash, and "$-2,331" hides the sign inside the amount


def undefined(value: float | None) -> bool:
    """True for None, NaN and ±inf: values that read as MISSING."""
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def display_decimals(value: float, minimum: int = 2, significant: int = 2) -> int:
    """Decimals that keep `significant` digits of small numbers: 2.3 -> 2, 0.0079 -> 4 (never "0.01")."""
    if not (isinstance(value, int | float) and math.isfinite(value)) or value == 0:
        return minimum
    needed = significant - 1 - math.floor(math.log10(abs(value)))
    return max(minimum, min(needed, 6))


def money(value: float | None, decimals: int = 0, symbol: str = "$") -> str:
    """$12,345 (or $1.23 with decimals=2); negatives as "−$2,331" (true minus before the symbol); "—" when
    undefined. A value that rounds to zero has no sign ("$0", never "−$0")."""
    if undefined(value):
        return MISSING
    sign = MINUS if round(value, decimals) < 0 else ""
    return f"{sign}{symbol}{abs(value):,.{decimals}f}"


def joined(names: Sequence[str]) -> str:
    """Names as a phrase: "A", "A and B", "A, B and C"."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
