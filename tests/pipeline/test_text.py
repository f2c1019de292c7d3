"""pipeline.text: the number-to-text rules shared by the CLI and the pages."""

from __future__ import annotations

import pytest

from pipeline import text


@pytest.mark.parametrize(
    ("value", "decimals"), [(2.3, 2), (0.0079, 4), (0.05, 3), (-0.0079, 4), (0.0, 2), (float("nan"), 2), (1234.5, 2)]
)
def test_display_decimals(value: float, decimals: int) -> None:
    assert text.display_decimals(value) == decimals
