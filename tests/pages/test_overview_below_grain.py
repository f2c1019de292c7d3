"""A filter below the cube's grain (content type) with a cube-key filter (platform) on the overview: the breakdown and
the anomalies equal the pipeline's on the raw rows, though the page rolls up only the date window's rows."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from pipeline import kpis
from pipeline.campaigns import cube, overview
from pipeline.filters import CampaignFilter, apply_campaign_filter
from pipeline.inputs.demo import read_campaigns
from tests.pages.conftest import page_path


@pytest.fixture(scope="module")
def demo(demo_dir: Path) -> pd.DataFrame:
    return read_campaigns(demo_dir)


def test_breakdown_and_anomalies_match_the_raw_rows(demo: pd.DataFrame) -> None:
    st.cache_resource.clear()
    at = AppTest.from_file(page_path("overview"), default_timeout=120).run()
    content = list(at.multiselect(key="cf_content_type").options[:2])
    platforms = list(at.multiselect(key="cf_platform").options[:2])
    at.multiselect(key="cf_content_type").set_value(content).run()
    at.multiselect(key="cf_platform").set_value(platforms).run()
    assert not at.exception
    period = kpis.recent_period(demo["date"].min(), demo["date"].max())
    spec = CampaignFilter(start=period.start, end=period.end, platforms=tuple(platforms), content_types=tuple(content))

    rows = apply_campaign_filter(demo, spec)
    expected = cube.kpi_table(rows, ["platform"]).sort_values("spend", ascending=False)
    shown = next(d.value for d in at.dataframe if list(d.value.columns[:2]) == ["platform", "spend"])
    assert shown["platform"].astype(str).tolist() == expected["platform"].astype(str).tolist()
    assert shown["spend"].to_numpy() == pytest.approx(expected["spend"].to_numpy())

    basis = overview.anomaly_basis(spec)
    flags = overview.anomaly_flags(cube.cube(apply_campaign_filter(demo, basis)), period.start, period.end)
    counts = apply_campaign_filter(flags, spec)["flag"].value_counts()
    markdown = [m.value for m in at.markdown]
    if counts.empty:
        assert "No anomalies in this selection." in [s.value for s in at.success]
    else:
        assert " · ".join(f"**{n:,}** {flag}" for flag, n in counts.items()) in markdown
