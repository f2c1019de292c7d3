"""Stacking several campaign exports: a source column, totals that add up, overlaps counted once and reported,
undated files kept apart, and the provenance of the parts combined."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipeline.inputs import provenance
from pipeline.inputs.combine import CombineError, Overlap, stack_campaigns
from pipeline.inputs.ingest.load import campaign_totals, ingest
from pipeline.schemas import CAMPAIGN_DIMENSIONS

HEADER = "date,platform,campaign,ad set,device,spend,impressions,clicks,conversions,revenue\n"


def export(*rows: str, name: str = "x.csv") -> pd.DataFrame:
    return ingest((HEADER + "\n".join(rows) + "\n").encode(), name=name).frame


@pytest.fixture(scope="module")
def peers(shared_data: Path) -> dict[str, pd.DataFrame]:
    folder = shared_data / "peers" / "campaign-perf"
    return {name: ingest(folder / name).frame for name in ("meta_ads.csv", "tiktok_ads.csv")}


def test_totals_of_the_stack_are_the_sum_of_the_files_when_nothing_overlaps(peers: dict[str, pd.DataFrame]) -> None:
    combined = stack_campaigns(list(peers.items()))
    expected = pd.DataFrame([campaign_totals(frame) for frame in peers.values()]).sum()
    assert campaign_totals(combined.frame) == pytest.approx(expected.to_dict())
    assert combined.overlaps == [] and combined.refused == {}
    assert combined.rows_by_source == {name: len(frame) for name, frame in peers.items()}
    assert sorted(combined.frame["platform"].unique()) == ["Meta", "TikTok"]


def test_the_source_column_names_each_rows_file_as_a_category(peers: dict[str, pd.DataFrame]) -> None:
    frame = stack_campaigns(list(peers.items())).frame
    assert isinstance(frame["source"].dtype, pd.CategoricalDtype)
    assert list(frame["source"].cat.categories) == ["meta_ads.csv", "tiktok_ads.csv"]
    assert frame.columns[-1] == "source"
    for column in CAMPAIGN_DIMENSIONS[1:]:
        if column in frame.columns:
            assert isinstance(frame[column].dtype, pd.CategoricalDtype), column  # categories united, not object
    meta = frame[frame["source"] == "meta_ads.csv"].drop(columns="source").reset_index(drop=True)
    assert meta["spend"].tolist() == peers["meta_ads.csv"]["spend"].tolist()


def test_overlapping_rows_are_counted_once_and_reported_with_their_numbers() -> None:
    first = export(
        "2025-01-01,Meta,A,S,Mobile,10,100,5,1,20",
        "2025-01-02,Meta,A,S,Mobile,20,200,6,2,40",
        "2025-01-03,Meta,A,S,Mobile,30,300,7,3,60",
    )
    second = export(
        "2025-01-02,Meta,A,S,Mobile,20,200,6,2,40",  # identical to the first file's
        "2025-01-03,Meta,A,S,Mobile,99,300,7,3,60",  # same key, other numbers
        "2025-01-04,Meta,A,S,Mobile,40,400,8,4,80",  # new
    )
    combined = stack_campaigns([("first.csv", first), ("second.csv", second)])
    assert combined.overlaps == [Overlap("first.csv", "second.csv", rows=2, keys=2, differing=1)]
    assert combined.rows_by_source == {"first.csv": 3, "second.csv": 1}
    assert combined.frame["spend"].sum() == 10 + 20 + 30 + 40  # the first file's numbers are the ones counted
    sentence = combined.overlaps[0].sentence()
    assert sentence.startswith("2 rows of second.csv repeat first.csv") and "different numbers on 1 of 2" in sentence


def test_rows_repeating_a_key_within_one_file_are_all_kept() -> None:
    twice = export("2025-01-01,Meta,A,S,Mobile,10,100,5,1,20", "2025-01-01,Meta,A,S,Mobile,5,50,2,1,10")
    other = export("2025-01-02,Meta,A,S,Mobile,1,10,1,0,0")
    combined = stack_campaigns([("a.csv", twice), ("b.csv", other)])
    assert combined.rows_by_source == {"a.csv": 2, "b.csv": 1} and combined.overlaps == []


def test_a_file_added_later_keeps_the_data_in_use_and_its_sources() -> None:
    meta = export("2025-01-01,Meta,A,S,Mobile,10,100,5,1,20")
    tiktok = export("2025-01-01,TikTok,A,S,Mobile,7,70,3,1,9")
    in_use = stack_campaigns([("meta.csv", meta), ("tiktok.csv", tiktok)]).frame
    google = export("2025-01-01,Google Ads,A,S,Mobile,3,30,1,0,0", "2025-01-01,Meta,A,S,Mobile,11,100,5,1,20")
    combined = stack_campaigns([("google.csv", google)], in_use)
    assert combined.sources == ["meta.csv", "tiktok.csv", "google.csv"]
    assert combined.rows_by_source == {"meta.csv": 1, "tiktok.csv": 1, "google.csv": 1}
    assert combined.overlaps == [Overlap("meta.csv", "google.csv", rows=1, keys=1, differing=1)]
    assert in_use["source"].tolist() == ["meta.csv", "tiktok.csv"]  # the input is not changed
    again = stack_campaigns([("meta.csv", meta)], combined.frame)  # the same name again stays apart
    assert again.sources[-1] == "meta.csv (2)" and again.rows_by_source["meta.csv (2)"] == 0


def test_a_data_in_use_without_source_column_is_named_after_its_file() -> None:
    meta = export("2025-01-01,Meta,A,S,Mobile,10,100,5,1,20")
    tiktok = export("2025-01-01,TikTok,A,S,Mobile,7,70,3,1,9")
    assert stack_campaigns([("t.csv", tiktok)], meta, "kept.csv").sources == ["kept.csv", "t.csv"]


def test_an_undated_file_is_refused_among_dated_ones_in_one_sentence() -> None:
    dated = export("2025-01-01,Meta,A,S,Mobile,10,100,5,1,20")
    undated = ingest(b"campaign,spend,impressions,clicks,conversions\nA,1,10,1,1\n", name="nodates.csv").frame
    combined = stack_campaigns([("nodates.csv", undated), ("dated.csv", dated)])
    assert combined.sources == ["dated.csv"]
    assert list(combined.refused) == ["nodates.csv"]
    assert combined.refused["nodates.csv"].startswith("nodates.csv has no dates, so it cannot be stacked")
    assert provenance.of(combined.frame).measured
    adding = stack_campaigns([("dated.csv", dated)], stack_campaigns([("nodates.csv", undated)]).frame)
    assert list(adding.refused) == ["dated.csv"] and adding.sources == ["nodates.csv"]
    assert provenance.of(adding.frame).undated


def test_the_provenance_of_the_parts_is_combined() -> None:
    measured = export("2025-01-01,Meta,A,S,Mobile,10,100,5,1,20")
    no_revenue = ingest(
        b"date,campaign,spend,impressions,clicks,conversions\n2025-01-01,B,1,10,1,2\n",
        name="tiktok.csv",
        assumptions={"average_order_value": 30.0},
    ).frame
    assert set(provenance.of(no_revenue).estimated) == {"revenue"}
    combined = stack_campaigns([("m.csv", measured), ("t.csv", no_revenue)])
    assert provenance.of(combined.frame) == provenance.combine([provenance.of(measured), provenance.of(no_revenue)])
    assert "$30.00" in provenance.of(combined.frame).estimated["revenue"]


def test_extra_columns_of_one_file_are_missing_in_the_other() -> None:
    a = ingest(HEADER.strip().encode() + b",note\n2025-01-01,Meta,A,S,Mobile,1,10,1,1,2,x\n", name="a.csv").frame
    b = export("2025-01-02,Meta,A,S,Mobile,1,10,1,1,2")
    frame = stack_campaigns([("a.csv", a), ("b.csv", b)]).frame
    assert frame["note"].tolist()[0] == "x" and pd.isna(frame["note"].tolist()[1])


def test_nothing_to_stack_is_one_sentence() -> None:
    with pytest.raises(CombineError, match="no campaign files"):
        stack_campaigns([])


def test_a_dimension_one_file_lacks_reads_none_for_its_rows() -> None:
    typed = ingest(
        b"date,campaign,campaign type,spend\n2025-01-01,A,Sales,1\n2025-01-02,B,Leads,2\n", name="typed.csv"
    ).frame
    plain = export("2025-01-03,Meta,C,S,Mobile,1,10,1,1,2")
    frame = stack_campaigns([("typed.csv", typed), ("plain.csv", plain)]).frame
    assert frame["campaign_type"].astype(str).tolist() == ["Sales", "Leads", "(none)"]
    assert list(frame["campaign"].cat.categories) == ["A", "B", "C"]
    assert frame["date"].tolist() == list(pd.to_datetime(["2025-01-01", "2025-01-02", "2025-01-03"]))
