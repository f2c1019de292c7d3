"""A filter's report cut from the whole data's report (analyse's `reuse`) equals the report computed from scratch,
and the light report (no stratified estimate, influencer rows only) agrees with the full one on what it holds."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest

from pipeline.filters import InfluencerFilter, apply_influencer_filter
from pipeline.influencers import incrementality as inc
from pipeline.influencers.scope import prepare_reference, whole_slices
from pipeline.inputs import demo

# Few resamples keep the test quick; the equality holds for any count as long as both sides use the same.
RESAMPLES = 200


@pytest.fixture(scope="module")
def tables(demo_dir: Path) -> dict[str, pd.DataFrame]:
    return demo.read_influencer_tables(demo_dir)


@pytest.fixture(scope="module")
def whole(tables: dict[str, pd.DataFrame]) -> inc.IncrementalityReport:
    return report(tables, tables)


def report(
    tables: dict[str, pd.DataFrame], scoped: dict[str, pd.DataFrame], **options: object
) -> inc.IncrementalityReport:
    return inc.analyse(
        scoped["tracking"],
        scoped["payouts"],
        reference=tables["tracking"],
        influencers=scoped["influencers"],
        n_resamples=RESAMPLES,
        **options,  # type: ignore[arg-type]
    )


FILTERS = {
    "platform": lambda t: InfluencerFilter(platforms=(str(t["influencers"]["platform"].iloc[0]),)),
    "category and gender": lambda t: InfluencerFilter(
        categories=(str(t["influencers"]["category"].iloc[0]),), genders=(str(t["influencers"]["gender"].iloc[0]),)
    ),
    "product": lambda t: InfluencerFilter(products=(str(t["tracking"]["product"].iloc[0]),)),
    "dates": lambda t: InfluencerFilter(start=t["tracking"]["date"].min(), end=t["tracking"]["date"].median()),
}


@pytest.mark.parametrize("name", list(FILTERS))
def test_cut_from_the_whole_report_equals_computed_from_scratch(
    tables: dict[str, pd.DataFrame], whole: inc.IncrementalityReport, name: str
) -> None:
    scoped = apply_influencer_filter(tables, FILTERS[name](tables))
    fresh = report(tables, scoped)
    cut = report(tables, scoped, reuse=whole)
    assert cut.overall == fresh.overall
    assert cut.stratified == fresh.stratified
    assert set(cut.breakdowns) == set(fresh.breakdowns)
    for breakdown in fresh.breakdowns:
        pd.testing.assert_frame_equal(cut.breakdowns[breakdown], fresh.breakdowns[breakdown])


def test_a_platform_pick_reuses_its_influencers_rows(tables: dict[str, pd.DataFrame]) -> None:
    """The rows of influencers the pick keeps whole are copied, not bootstrapped: a marked copy shows through."""
    whole = report(tables, tables, breakdowns=("influencer",), stratify=False)
    marked = dataclasses.replace(whole, breakdowns={"influencer": whole.breakdowns["influencer"].assign(note="copied")})
    scoped = apply_influencer_filter(tables, FILTERS["platform"](tables))
    cut = report(tables, scoped, breakdowns=("influencer",), stratify=False, reuse=marked)
    assert len(cut.breakdowns["influencer"]) == scoped["influencers"]["id"].nunique()
    assert (cut.breakdowns["influencer"]["note"] == "copied").all()


def test_a_product_pick_splits_every_influencer_and_reuses_none(tables: dict[str, pd.DataFrame]) -> None:
    whole = report(tables, tables, breakdowns=("influencer",), stratify=False)
    marked = dataclasses.replace(whole, breakdowns={"influencer": whole.breakdowns["influencer"].assign(note="copied")})
    scoped = apply_influencer_filter(tables, FILTERS["product"](tables))
    cut = report(tables, scoped, breakdowns=("influencer",), stratify=False, reuse=marked)
    assert not (cut.breakdowns["influencer"]["note"] == "copied").any()


def test_a_platform_pick_reuses_its_influencers_stratified_draws(
    tables: dict[str, pd.DataFrame], whole: inc.IncrementalityReport
) -> None:
    """The draws of strata the pick keeps whole are copied: draws marked as zero narrow the interval to nothing."""
    assert whole.stratified is not None and len(whole.stratified.draws) == tables["influencers"]["id"].nunique()
    zeros = {stratum: draws * 0.0 for stratum, draws in whole.stratified.draws.items()}
    marked = dataclasses.replace(whole, stratified=dataclasses.replace(whole.stratified, draws=zeros))
    scoped = apply_influencer_filter(tables, FILTERS["platform"](tables))
    cut = report(tables, scoped, breakdowns=(), reuse=marked).stratified
    assert cut is not None and cut.iroas_ci_low == cut.iroas_ci_high == 0.0
    fresh = report(tables, scoped, breakdowns=()).stratified
    assert fresh is not None and fresh.iroas_ci_low < fresh.iroas < fresh.iroas_ci_high


def test_a_prepared_reference_gives_the_same_report(tables: dict[str, pd.DataFrame]) -> None:
    prepared = prepare_reference(tables["tracking"])
    scoped = apply_influencer_filter(tables, FILTERS["product"](tables))
    raw = report(tables, scoped)
    once = inc.analyse(scoped["tracking"], scoped["payouts"], prepared, scoped["influencers"], n_resamples=RESAMPLES)
    assert (once.overall, once.stratified, once.warnings) == (raw.overall, raw.stratified, raw.warnings)
    for breakdown in raw.breakdowns:
        pd.testing.assert_frame_equal(once.breakdowns[breakdown], raw.breakdowns[breakdown])


def test_whole_slices_are_those_with_every_reference_row() -> None:
    reference = pd.DataFrame({"influencer_id": [1, 1, 2, 2, 3]})
    scope = reference.iloc[[0, 1, 2, 4]]
    assert whole_slices(scope, reference, "influencer_id") == frozenset({1, 3})
    assert whole_slices(scope, reference.drop(columns="influencer_id"), "influencer_id") == frozenset()


def test_light_report_matches_the_full_one_on_what_it_holds(
    tables: dict[str, pd.DataFrame], whole: inc.IncrementalityReport
) -> None:
    light = report(tables, tables, breakdowns=("influencer",), stratify=False)
    assert light.stratified is None and whole.stratified is not None
    assert light.overall == whole.overall
    assert list(light.breakdowns) == ["influencer"]
    pd.testing.assert_frame_equal(light.breakdowns["influencer"], whole.breakdowns["influencer"])


@pytest.mark.parametrize("name", list(FILTERS))
def test_one_breakdown_alone_equals_the_reports(
    tables: dict[str, pd.DataFrame], whole: inc.IncrementalityReport, name: str
) -> None:
    scoped = apply_influencer_filter(tables, FILTERS[name](tables))
    fresh = report(tables, scoped)
    for breakdown in inc.available_breakdowns(tables["tracking"].columns):
        for reuse in (None, whole.breakdowns[breakdown]):
            alone = inc.scope_breakdown(
                scoped["tracking"],
                scoped["payouts"],
                breakdown,
                reference=tables["tracking"],
                influencers=scoped["influencers"],
                n_resamples=RESAMPLES,
                reuse=reuse,
            )
            assert alone is not None
            pd.testing.assert_frame_equal(alone, fresh.breakdowns[breakdown])


def test_one_breakdown_of_a_scope_without_controls_is_none(tables: dict[str, pd.DataFrame]) -> None:
    exposed_only = tables["tracking"][tables["tracking"]["group"] == 1]
    assert inc.scope_breakdown(exposed_only, tables["payouts"], "campaign", reference=tables["tracking"]) is None
    assert inc.available_breakdowns(["user_id", "campaign", "source"]) == ("campaign", "platform")
