"""Downloads mark estimated columns in their header and keep the number rules for them."""

from __future__ import annotations

import io

import pandas as pd

from pipeline.export import is_money, mark_estimated_columns, to_csv_bytes


def test_estimated_columns_are_marked_in_the_header() -> None:
    frame = pd.DataFrame({"campaign": ["A"], "spend": [10.0], "revenue": [50.0], "roas": [5.0]})
    marked = mark_estimated_columns(frame, ["revenue", "roas", "profit"])
    assert list(marked.columns) == ["campaign", "spend", "revenue (estimated)", "roas (estimated)"]
    assert list(frame.columns) == ["campaign", "spend", "revenue", "roas"]  # the input is left alone


def test_nothing_estimated_leaves_the_frame_as_it_was() -> None:
    frame = pd.DataFrame({"revenue": [1.0]})
    assert mark_estimated_columns(frame, []) is frame


def test_a_marked_money_column_is_still_rounded_to_cents_and_a_ratio_keeps_its_precision() -> None:
    assert is_money("cpa (estimated)") and is_money("revenue (estimated)")
    assert not is_money("roas (estimated)")
    frame = pd.DataFrame({"cpa": [4.499999999999999], "roas": [2.123456789]})
    text = to_csv_bytes(mark_estimated_columns(frame, ["cpa", "roas"])).decode()
    back = pd.read_csv(io.StringIO(text))
    assert list(back.columns) == ["cpa (estimated)", "roas (estimated)"]
    assert back.iloc[0, 0] == 4.5 and back.iloc[0, 1] == 2.123456789
