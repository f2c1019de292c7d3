"""CSV export: formula-looking text is defused, numbers (negative ones too) stay numbers."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from pipeline.export import defuse_cell, defuse_frame, to_csv_bytes


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+SUM(A1)", "'+SUM(A1)"),
        ("-2+3", "'-2+3"),
        ("@cmd", "'@cmd"),
        ("\tTAB", "'\tTAB"),
        ("\rCR", "'\rCR"),
        ("Spring Launch", "Spring Launch"),
        ("", ""),
        ("a=b", "a=b"),
        (-5.0, -5.0),
        (None, None),
    ],
)
def test_defuse_cell(value: object, expected: object) -> None:
    assert defuse_cell(value) == expected


def test_defuse_frame_touches_only_text_columns() -> None:
    frame = pd.DataFrame(
        {
            "campaign": ['=HYPERLINK("http://x")', "Plain"],
            "platform": pd.Categorical(["@Meta", "TikTok"]),
            "spend": [-12.5, 3.0],
            "conversions": [-1, 2],
            "date": pd.to_datetime(["2025-01-01", "2025-01-02"]),
        }
    )
    out = defuse_frame(frame)
    assert out["campaign"].tolist() == ['\'=HYPERLINK("http://x")', "Plain"]
    assert out["platform"].tolist() == ["'@Meta", "TikTok"]
    assert out["spend"].tolist() == [-12.5, 3.0]
    assert out["conversions"].tolist() == [-1, 2]
    assert frame["campaign"].iloc[0].startswith("=")  # the input is not mutated


def test_csv_bytes_round_trip() -> None:
    frame = pd.DataFrame(
        {
            "campaign": ["=cmd|' /C calc'!A0", "-Sale", "Spring"],
            "spend": [-1.5, 0.0, 2.25],
            "cpa": [np.nan, 3.0, 4.0],
            "date": pd.to_datetime(["2025-01-01", "2025-01-02", "2025-01-03"]),
        }
    )
    raw = to_csv_bytes(frame)
    text = raw.decode("utf-8")
    assert text.splitlines()[0] == "campaign,spend,cpa,date"
    assert text.splitlines()[1].startswith("'=cmd")
    back = pd.read_csv(io.BytesIO(raw))
    assert back["campaign"].tolist() == ["'=cmd|' /C calc'!A0", "'-Sale", "Spring"]
    assert back["spend"].tolist() == [-1.5, 0.0, 2.25]  # negative numbers are still numbers
    assert np.isnan(back["cpa"].iloc[0])  # undefined ratios are empty cells
    assert back["date"].tolist() == ["2025-01-01", "2025-01-02", "2025-01-03"]


def test_headers_and_index_are_defused_too() -> None:
    frame = pd.DataFrame({"=bad": [1]}, index=pd.Index(["+x"], name="name"))
    text = to_csv_bytes(frame, index=True).decode()
    assert text.splitlines() == ["name,'=bad", "'+x,1"]
