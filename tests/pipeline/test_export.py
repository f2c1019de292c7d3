"""CSV export: formula-looking text is defused, numbers (negative ones too) stay numbers."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from pipeline.export import defuse_cell, defuse_frame, is_money, to_csv_bytes


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


def test_counts_are_written_as_integers_and_money_in_cents() -> None:
    frame = pd.DataFrame(
        {
            "impressions": [16318.0, np.nan],
            "spend": [4.499999999999999, 1 / 3],
            "cpa": [12.345678, -2330.996],
            "ctr": [0.0123456789, 0.5],
            "roas": [2.0, 1.25],
            "cost_share": [0.123456, 0.876544],
            "odd": [1.5, np.inf],
        }
    )
    text = to_csv_bytes(frame).decode()
    assert text.splitlines() == [
        "impressions,spend,cpa,ctr,roas,cost_share,odd",
        "16318,4.5,12.35,0.0123456789,2.0,0.123456,1.5",
        ",0.33,-2331.0,0.5,1.25,0.876544,inf",
    ]
    assert frame["spend"].iloc[0] == 4.499999999999999  # the input is not mutated


def test_whole_money_and_whole_counts_lose_the_decimal_point() -> None:
    frame = pd.DataFrame({"revenue": [100.0, 2.004], "orders": [3.0, 0.0], "all_missing": [np.nan, np.nan]})
    assert to_csv_bytes(frame).decode().splitlines() == ["revenue,orders,all_missing", "100,3,", "2,0,"]


@pytest.mark.parametrize(
    ("name", "money"),
    [
        ("spend", True),
        ("total_payout", True),
        ("revenue_per_exposed_user", True),
        ("cpa", True),
        ("roas", False),
        ("cost_share", False),
        ("engagement_rate", False),
        ("clicks", False),
        ("iroas", False),
    ],
)
def test_money_columns_are_known_by_name(name: str, money: bool) -> None:
    assert is_money(name) is money
