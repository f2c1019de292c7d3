"""Choosing which column counts as a measure when a file has several (Total_Conversion, Approved_Conversion)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipeline.inputs import provenance
from pipeline.inputs.ingest.choices import measure_candidates, measure_overrides
from pipeline.inputs.ingest.load import ingest


@pytest.fixture(scope="module")
def kag(shared_data: Path) -> Path:
    return shared_data / "real" / "kag_conversion_data.csv"


def test_the_facebook_export_offers_both_conversion_columns(kag: Path) -> None:
    assert measure_candidates(ingest(kag)) == {"conversions": ["Total_Conversion", "Approved_Conversion"]}


def test_approved_conversions_can_count_and_total_stays_as_an_extra(kag: Path) -> None:
    first = ingest(kag)
    overrides = measure_overrides(first, "conversions", "Approved_Conversion")
    assert overrides == {"Approved_Conversion": "conversions", "Total_Conversion": "total_conversion"}
    chosen = ingest(kag, mapping_overrides=overrides)
    raw = pd.read_csv(kag)
    assert chosen.totals["conversions"] == raw["Approved_Conversion"].sum() == 1079
    assert chosen.frame["total_conversion"].sum() == raw["Total_Conversion"].sum() == 3264
    assert pd.api.types.is_numeric_dtype(chosen.frame["total_conversion"])
    assert chosen.totals["revenue"] == 1079 * 50.0  # the estimate follows the chosen column
    assert provenance.of(chosen.frame).undated


def test_keeping_ingestions_pick_changes_nothing(kag: Path) -> None:
    assert measure_overrides(ingest(kag), "conversions", "Total_Conversion") == {}


def test_a_file_with_one_column_per_measure_offers_no_choice() -> None:
    plain = ingest(b"date,campaign,spend,clicks,conversions,revenue\n2025-01-01,A,1,2,1,5\n", name="x.csv")
    assert measure_candidates(plain) == {}
