"""Number-to-text rules shared by the CLI's sentences and the pages (ui.format builds on them).

Standard library only, so importing it costs nothing.
"""

from __future__ import annotations

import math

MISSING = "—"  # how any undefined number reads, in a sentence or on a page


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
    """$12,345 (or $1.23 with decimals=2); "—" when undefined."""
    if undefined(value):
        return MISSING
    sign = "-" if value < 0 else ""
    return f"{sign}{symbol}{abs(value):,.{decimals}f}"
