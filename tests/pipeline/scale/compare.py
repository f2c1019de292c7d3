"""Equality with float tolerance for nested results (GroupComparison, CLI JSON) across backends."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

RTOL = 1e-9


def close(left: Any, right: Any, rtol: float = RTOL) -> bool:
    """Nested dicts, lists, tuples and dataclasses equal, floats to `rtol` relative (NaN equals NaN)."""
    if dataclasses.is_dataclass(left) and not isinstance(left, type):
        return type(left) is type(right) and close(dataclasses.asdict(left), dataclasses.asdict(right), rtol)
    if isinstance(left, dict):
        return (
            isinstance(right, dict)
            and left.keys() == right.keys()
            and all(close(left[k], right[k], rtol) for k in left)
        )
    if isinstance(left, list | tuple):
        return len(left) == len(right) and all(close(a, b, rtol) for a, b in zip(left, right, strict=True))
    if isinstance(left, float) and isinstance(right, float | int):
        if math.isnan(left) or math.isnan(right):
            return math.isnan(left) and math.isnan(right)
        return math.isclose(left, right, rel_tol=rtol, abs_tol=1e-12)
    return left == right
