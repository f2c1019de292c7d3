"""A file's extra columns as filters: which columns qualify, how a selection narrows the rows, the options frame."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.filters import (
    MAX_EXTRA_VALUES,
    CampaignFilter,
    apply_campaign_filter,
    distinct_values,
    extra_dimensions,
    extra_selection,
    filter_options_frame,
)
from pipeline.inputs.ingest.load import ingest

FACEBOOK_EXPORT = Path("/work/shared/data/real/kag_conversion_data.csv")


@pytest.fixture
def rows() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "date": pd.to_datetime(["2025-01-01"] * 6),
            "platform": pd.Categorical(["Meta"] * 6),
            "campaign": ["A", "A", "B", "B", "C", "C"],
            "spend": [1.0, 2.0, 4.0, 8.0, 16.0, 32.0],
            "conversions": [1.0, 0.0, 1.0, 0.0, 1.0, 0.0],
            "age": ["30-34", "35-39", "30-34", None, "45-49", "35-39"],
            "gender": pd.Categorical(["F", "M", "F", "M", "F", "M"]),
            "interest": np.array([2, 10, 2, 10, 7, 7], dtype="int64"),
            "weight": [0.5, 1.5, 2.5, 3.5, 4.5, 5.5],  # fractional numbers: a measure, not codes
            "approved_conversion": np.array([1, 0, 1, 0, 0, 1], dtype="int64"),
            "ad_id": np.arange(6, dtype="int64"),
            "constant": ["x"] * 6,
        }
    )


def test_text_categories_and_number_codes_qualify_in_frame_order(rows: pd.DataFrame) -> None:
    # ad_id qualifies by count here (6 values); it is left out of the export below by its 1,143 values.
    assert extra_dimensions(rows) == ["age", "gender", "interest", "ad_id"]


def test_canonical_columns_measures_fractions_and_single_values_do_not(rows: pd.DataFrame) -> None:
    found = set(extra_dimensions(rows))
    assert not found & {"date", "platform", "campaign", "spend", "conversions"}
    assert "weight" not in found  # fractional
    assert "approved_conversion" not in found  # whole numbers, but its name says it counts
    assert "constant" not in found  # one value filters nothing


def test_more_than_the_limit_of_values_is_not_a_dimension() -> None:
    many = pd.DataFrame({"date": pd.to_datetime(["2025-01-01"] * (MAX_EXTRA_VALUES + 1))})
    many["label"] = [f"v{i}" for i in range(MAX_EXTRA_VALUES + 1)]
    many["fewer"] = [f"v{i % MAX_EXTRA_VALUES}" for i in range(MAX_EXTRA_VALUES + 1)]
    assert extra_dimensions(many) == ["fewer"]


def test_the_facebook_export_brings_age_gender_and_interest() -> None:
    frame = ingest(FACEBOOK_EXPORT).frame
    assert extra_dimensions(frame) == ["age", "gender", "interest"]


def test_a_stacked_upload_source_column_is_a_dimension_once_it_holds_two_files(rows: pd.DataFrame) -> None:
    one = rows.assign(source=pd.Categorical(["meta.csv"] * 6))
    two = rows.assign(source=pd.Categorical(["meta.csv"] * 3 + ["tiktok.csv"] * 3))
    assert "source" not in extra_dimensions(one)
    assert "source" in extra_dimensions(two)


def test_an_extra_selection_narrows_the_rows_exactly(rows: pd.DataFrame) -> None:
    spec = CampaignFilter(extras=extra_selection({"age": ("30-34",), "gender": None}))
    assert spec.extras == (("age", ("30-34",)),)
    got = apply_campaign_filter(rows, spec)
    pd.testing.assert_frame_equal(got, rows[rows["age"] == "30-34"])


def test_number_codes_are_chosen_by_their_text(rows: pd.DataFrame) -> None:
    spec = CampaignFilter(extras=(("interest", ("2", "7")),))
    got = apply_campaign_filter(rows, spec)
    assert got["spend"].tolist() == [1.0, 4.0, 16.0, 32.0]


def test_extra_selections_combine_with_each_other_and_the_fixed_filters(rows: pd.DataFrame) -> None:
    spec = CampaignFilter(campaigns=("A", "B"), extras=extra_selection({"gender": ("F",), "interest": ("2",)}))
    assert apply_campaign_filter(rows, spec)["spend"].tolist() == [1.0, 4.0]


def test_an_empty_extra_selection_selects_nothing_and_a_missing_value_is_never_chosen(rows: pd.DataFrame) -> None:
    assert apply_campaign_filter(rows, CampaignFilter(extras=(("age", ()),))).empty
    picked = apply_campaign_filter(rows, CampaignFilter(extras=(("age", ("30-34", "35-39", "45-49")),)))
    assert picked["spend"].tolist() == [1.0, 2.0, 4.0, 16.0, 32.0]  # the row without an age is left out


def test_an_extra_selection_on_a_column_the_table_lacks_restricts_nothing(rows: pd.DataFrame) -> None:
    assert len(apply_campaign_filter(rows, CampaignFilter(extras=(("region", ("EU",)),)))) == len(rows)


def test_the_spec_with_extras_stays_hashable_and_its_repr_tells_selections_apart() -> None:
    first = CampaignFilter(extras=extra_selection({"gender": ("F",), "age": ("30-34",)}))
    same = CampaignFilter(extras=extra_selection({"age": ("30-34",), "gender": ("F",)}))
    other = CampaignFilter(extras=extra_selection({"age": ("30-34",), "gender": ("M",)}))
    assert hash(first) == hash(same) and repr(first) == repr(same)
    assert repr(first) != repr(other)


def test_number_codes_are_listed_in_number_order(rows: pd.DataFrame) -> None:
    assert distinct_values(rows["interest"]) == ["2", "7", "10"]


def test_the_options_frame_keeps_the_extra_dimensions_and_their_order(rows: pd.DataFrame) -> None:
    options = filter_options_frame(rows)
    assert extra_dimensions(options) == extra_dimensions(rows)
    for column in extra_dimensions(rows):
        assert distinct_values(options[column]) == distinct_values(rows[column]), column
    # choosing by the options' text selects the same rows in the data
    chosen = distinct_values(options["interest"])[:2]
    assert (
        apply_campaign_filter(rows, CampaignFilter(extras=(("interest", tuple(chosen)),)))["interest"]
        .isin([2, 7])
        .all()
    )
