"""Influencer rosters: suffix counts, percentages, the real top-Instagram export, and the shortlist."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.influencers import roster

NAN = float("nan")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("475.8m", 475_800_000.0),
        ("1.2k", 1_200.0),
        ("3.4b", 3_400_000_000.0),
        ("0.89k", 890.0),
        ("12.5 M", 12_500_000.0),
        ("1,234", 1_234.0),
        ("42", 42.0),
        (".5k", 500.0),
        (7, 7.0),
        ("", NAN),
        ("n/a", NAN),
        ("NaN", NAN),
        ("-", NAN),
        ("-5", NAN),
        ("12x", NAN),
        ("1.2.3k", NAN),
        (float("inf"), NAN),
    ],
)
def test_parse_count(text: object, expected: float) -> None:
    value = roster.parse_count(text)
    assert (math.isnan(value) and math.isnan(expected)) or value == pytest.approx(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.39%", 0.0139),
        ("0.20%", 0.002),
        (" 12 % ", 0.12),
        ("1.39", 0.0139),
        ("", NAN),
        ("n/a", NAN),
        ("NaN%", NAN),
        ("-3%", NAN),
        ("high", NAN),
    ],
)
def test_parse_percent(text: str, expected: float) -> None:
    value = roster.parse_percent(text)
    assert (math.isnan(value) and math.isnan(expected)) or value == pytest.approx(expected)


@pytest.fixture(scope="module")
def real(shared_data: Path) -> roster.Roster:
    return roster.read_roster((shared_data / "real" / "top_insta_influencers_data.csv").read_bytes())


def test_the_real_top_instagram_export_is_a_roster(real: roster.Roster, shared_data: Path) -> None:
    raw = pd.read_csv(shared_data / "real" / "top_insta_influencers_data.csv", encoding="utf-8-sig", nrows=0)
    assert roster.looks_like_roster(list(raw.columns))
    frame = real.frame
    assert real.rows_read == len(frame) == 200
    first = frame.iloc[0]
    assert (first["handle"], first["rank"], first["followers"]) == ("cristiano", 1.0, 475_800_000.0)
    assert first["engagement_rate"] == pytest.approx(0.0139)
    assert first["likes_per_post"] == 8_700_000.0 and first["posts"] == 3_300.0
    assert first["country"] == "Spain"
    assert frame.loc[2, "country"] == roster.UNKNOWN_COUNTRY  # leomessi: "NaN" in the file
    rkive = frame[frame["handle"] == "rkive"].iloc[0]
    assert math.isnan(rkive["engagement_rate"])  # "NaN%": missing, not unreadable
    assert real.unreadable == {}
    assert frame["followers"].sum() == pytest.approx(15_481_900_000.0)
    assert roster.countries(frame)[:3] == ["United States", "Brazil", "India"]
    assert roster.countries(frame)[-1] == roster.UNKNOWN_COUNTRY


def test_shortlist_filters_and_ranks(real: roster.Roster) -> None:
    picked = roster.shortlist(real.frame, 100e6, 0.01, ["United States"], "engagement_rate")
    frame = real.frame
    expected = frame[
        (frame["followers"] >= 100e6) & (frame["engagement_rate"] >= 0.01) & (frame["country"] == "United States")
    ].sort_values("engagement_rate", ascending=False)
    assert picked["handle"].tolist() == expected["handle"].tolist()
    assert picked["shortlist_rank"].tolist() == list(range(1, len(expected) + 1))
    assert list(picked.columns) == ["shortlist_rank", *roster.SHORTLIST_COLUMNS]
    assert roster.shortlist(real.frame, limit=5)["handle"].tolist()[0] == "cristiano"


def test_shortlist_puts_missing_values_last_and_rejects_unknown_sorts(real: roster.Roster) -> None:
    ranked = roster.shortlist(real.frame, sort_by="engagement_rate")
    assert ranked["handle"].iloc[-1] == "rkive"
    assert roster.shortlist(real.frame, min_engagement=0.0001)["handle"].isin(["rkive"]).sum() == 0
    with pytest.raises(ValueError, match="sort_by"):
        roster.shortlist(real.frame, sort_by="revenue")


def test_small_roster_with_edge_values() -> None:
    raw = (
        "\ufeffUsername,Followers,Engagement rate,Total likes,Posts,Country\n"
        "a,1.2k,2%,3.4b,0,\n"
        "b,3.4b,n/a,1.2k,12,Chile\n"
        ",5m,1%,1k,1,Peru\n"
        "c,lots,,,,n/a\n"
    ).encode()
    parsed = roster.read_roster(raw)
    frame = parsed.frame
    assert frame["handle"].tolist() == ["a", "b", "c"]
    np.testing.assert_allclose(frame["followers"], [1_200.0, 3.4e9, NAN])
    np.testing.assert_allclose(frame["engagement_rate"], [0.02, NAN, NAN])
    np.testing.assert_allclose(frame["likes_per_post"], [NAN, 100.0, NAN])  # 0 posts: undefined, never inf
    assert frame["country"].tolist() == ["Unknown", "Chile", "Unknown"]
    assert frame["rank"].tolist() == [2.0, 1.0, 3.0]  # no rank column: by followers, missing last
    assert parsed.unreadable == {"handle": 1, "followers": 1}
    totals = roster.roster_totals(frame)
    assert totals["creators"] == 3 and totals["engagement_rate"] == pytest.approx(0.02)


@pytest.mark.parametrize(
    "raw",
    [
        b"date,campaign,spend,impressions,clicks\n2025-01-01,a,1,2,3\n",
        b"user_id,group,influencer_id,followers,handle\n1,1,1,1k,a\n",
        b"handle,bio\na,hello\n",
    ],
)
def test_other_tables_are_not_rosters(raw: bytes) -> None:
    with pytest.raises(roster.RosterError, match="not an influencer roster"):
        roster.read_roster(raw)
    assert not roster.is_roster_file(raw)


def test_a_roster_file_is_recognised_by_its_header(shared_data: Path) -> None:
    assert roster.is_roster_file((shared_data / "real" / "top_insta_influencers_data.csv").read_bytes())
    assert not roster.is_roster_file(b"\xff\xfe\x00h\x00") and not roster.is_roster_file(b"")


def test_a_roster_without_handles_or_unreadable_bytes_is_refused() -> None:
    with pytest.raises(roster.RosterError, match="no rows with a handle"):
        roster.read_roster(b"handle,followers\n,1k\n")
    with pytest.raises(roster.RosterError, match="could not be read"):
        roster.read_roster(b"\xff\xfe\x00h\x00")
