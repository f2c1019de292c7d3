"""Property-based tests (hypothesis) of the KPI engine: group sums add up to the total; no ratio is ever inf;
a ratio of sums lies within the range of its rows' ratios (the mediant inequality). The ingestion properties
are in tests/pipeline/inputs/test_ingest_properties.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.pandas import column, data_frames, range_indexes

from pipeline import kpis
from pipeline.schemas import DEVICES, PLATFORMS

# database=None: no .hypothesis/ folder in the checkout; failures print their input instead.
SETTINGS = settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
MEASURES = ("spend", "impressions", "clicks", "conversions", "revenue")
RATIO_NAMES = (*kpis.RATIOS, "roi")
# Magnitudes from none through tiny to very large, with plenty of exact zeros (zero denominators).
amount = st.one_of(
    st.just(0.0),
    st.floats(min_value=0.0, max_value=1e12, allow_nan=False, allow_infinity=False),
    st.floats(min_value=1e-300, max_value=1e-3),
)


def campaign_frames(min_size: int = 0) -> st.SearchStrategy[pd.DataFrame]:
    return data_frames(
        columns=[
            column("platform", elements=st.sampled_from(PLATFORMS)),
            column("device", elements=st.sampled_from(DEVICES)),
            *(column(m, elements=amount, dtype="float64") for m in MEASURES),
        ],
        index=range_indexes(min_size=min_size, max_size=30),
    )


@SETTINGS
@given(campaign_frames(), st.sampled_from([["platform"], ["device"], ["platform", "device"]]))
def test_group_sums_add_up_to_the_total(frame: pd.DataFrame, by: list[str]) -> None:
    groups = kpis.sum_measures(frame, by)
    total = kpis.sum_measures(frame).iloc[0]
    for measure in MEASURES:
        assert groups[measure].sum() == pytest.approx(total[measure], rel=1e-9, abs=1e-9)
    assert groups["rows"].sum() == len(frame) == total["rows"]


@SETTINGS
@given(campaign_frames(), st.sampled_from([[], ["platform"], ["platform", "device"]]))
def test_no_ratio_is_ever_inf(frame: pd.DataFrame, by: list[str]) -> None:
    table = kpis.kpi_table(frame, by)
    ratios = table[[r for r in RATIO_NAMES if r in table.columns]].to_numpy(dtype="float64")
    assert not np.isinf(ratios).any()
    assert not any(np.isinf(v) for v in kpis.kpi_totals(frame).values())


@SETTINGS
@given(campaign_frames(min_size=1), st.sampled_from(sorted(kpis.RATIOS)))
def test_a_ratio_of_sums_lies_within_its_rows_ratios(frame: pd.DataFrame, ratio: str) -> None:
    """Σa/Σb is a weighted mean of the rows' a/b (weights b), so it cannot leave their range.

    Only rows with a defined ratio (denominator > 0) take part: a row with spend but no clicks adds to Σspend
    without having a CPC of its own, and would push the aggregate anywhere."""
    numerator, denominator, scale = kpis.RATIOS[ratio]
    if numerator not in frame.columns or denominator not in frame.columns:
        return
    defined = frame[frame[denominator] > 0]
    row_ratios = kpis.safe_divide(defined[numerator] * scale, defined[denominator]).dropna()
    aggregate = kpis.kpi_totals(defined)[ratio]
    if row_ratios.empty or len(row_ratios) < len(defined):  # a row ratio overflowed: no range to compare with
        return
    assert not np.isnan(aggregate)
    low, high = row_ratios.min(), row_ratios.max()
    tolerance = 1e-9 * max(abs(low), abs(high)) + 1e-12
    assert low - tolerance <= aggregate <= high + tolerance
