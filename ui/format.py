"""Numbers for people: currency, thousands separators, percentages, "—" for undefined."""

from __future__ import annotations

import math

MISSING = "—"


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def money(value: float | None, decimals: int = 0, symbol: str = "$") -> str:
    """$12,345 (or $1.23 with decimals=2); "—" when undefined."""
    if _missing(value):
        return MISSING
    sign = "-" if value < 0 else ""
    return f"{sign}{symbol}{abs(value):,.{decimals}f}"


def count(value: float | None) -> str:
    """12,345; "—" when undefined."""
    return MISSING if _missing(value) else f"{value:,.0f}"


def percent(value: float | None, decimals: int = 2) -> str:
    """A fraction as a percentage: 0.0123 -> 1.23%; "—" when undefined."""
    return MISSING if _missing(value) else f"{100 * value:.{decimals}f}%"


def multiple(value: float | None, decimals: int = 2) -> str:
    """A ratio such as ROAS: 2.345 -> 2.35x; "—" when undefined."""
    return MISSING if _missing(value) else f"{value:,.{decimals}f}x"
