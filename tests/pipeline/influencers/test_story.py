"""Attributed ROAS next to iROAS: the merge, the incremental share, the alert measure and the sentences."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.influencers import attribution, incrementality, story
from pipeline.inputs import demo

NAN = float("nan")


def summary() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "influencer_id": [1, 2, 3, 4],
            "name": ["Ann", "Bo", "Cy", "Di"],
            "platform": ["Instagram", "TikTok", "YouTube", "Instagram"],
            "payout": [100.0, 200.0, 0.0, 50.0],
            "revenue": [300.0, 100.0, 40.0, 0.0],
            "roas": [3.0, 0.5, NAN, 0.0],
        }
    )


def breakdown() -> pd.DataFrame:
    """Influencers 1 and 2 were tested; 3 has no control users; 4 is missing from the breakdown."""
    return pd.DataFrame(
        {
            "influencer_id": [1, 2, 3],
            "label": ["Ann", "Bo", "Cy"],
            "exposed_users": [10, 20, 5],
            "control_users": [10, 20, 0],
            "incremental_revenue": [60.0, 240.0, NAN],
            "iroas": [0.6, 1.2, NAN],
            "iroas_ci_low": [0.2, 0.9, NAN],
            "iroas_ci_high": [1.0, 1.5, NAN],
            "p_value": [0.2, 0.01, NAN],
        }
    )


def test_attributed_vs_incremental_merges_per_influencer() -> None:
    table = story.attributed_vs_incremental(summary(), breakdown())
    assert list(table.columns) == list(story.STORY_COLUMNS)
    assert table["roas"].tolist()[:2] == [3.0, 0.5]
    np.testing.assert_allclose(table["iroas"], [0.6, 1.2, NAN, NAN])
    # share = incremental / attributed revenue: 60/300, 240/100 (the experiment found more than was credited)
    np.testing.assert_allclose(table["incremental_share"], [0.2, 2.4, NAN, NAN])
    assert table["has_experiment"].tolist() == [True, True, False, False]


def test_without_an_experiment_every_influencer_is_untested() -> None:
    table = story.attributed_vs_incremental(summary(), None)
    assert not table["has_experiment"].any()
    assert table["iroas"].isna().all() and table["incremental_share"].isna().all()


@pytest.mark.parametrize(
    ("measure", "expected_on", "expected_values"),
    [
        ("auto", ["iROAS", "iROAS", "attributed ROAS", "attributed ROAS"], [0.6, 1.2, NAN, 0.0]),
        ("iroas", ["iROAS"] * 4, [0.6, 1.2, NAN, NAN]),
        ("attributed", ["attributed ROAS"] * 4, [3.0, 0.5, NAN, 0.0]),
    ],
)
def test_judge_picks_the_measure(measure: str, expected_on: list[str], expected_values: list[float]) -> None:
    judged = story.judge(story.attributed_vs_incremental(summary(), breakdown()), measure)
    assert judged["judged_on"].tolist() == expected_on
    np.testing.assert_allclose(judged["judged_value"], expected_values)


def test_judge_rejects_an_unknown_measure() -> None:
    with pytest.raises(ValueError, match="measure must be one of"):
        story.judge(story.attributed_vs_incremental(summary(), breakdown()), "profit")


def test_poor_roi_defaults_to_iroas_where_tested() -> None:
    table = story.attributed_vs_incremental(summary(), breakdown())
    # Ann: attributed 3.0x looks great, but iROAS 0.6x is below 1x. Di has no experiment: attributed 0x.
    assert story.poor_roi(table, 1.0)["name"].tolist() == ["Di", "Ann"]
    assert story.poor_roi(table, 1.0, "attributed")["name"].tolist() == ["Di", "Bo"]
    assert story.poor_roi(table, 1.0, "iroas")["name"].tolist() == ["Ann"]  # untested ones are not judged


def test_alert_totals() -> None:
    alerts = story.poor_roi(story.attributed_vs_incremental(summary(), breakdown()), 1.0)
    assert story.alert_totals(alerts) == {
        "influencers": 2.0,
        "payout": 150.0,
        "revenue": 300.0,
        "incremental_revenue": 60.0,
        "on_iroas": 1.0,
        "on_attributed": 1.0,
        "whole_interval_below": 0.0,
    }
    untested = story.poor_roi(story.attributed_vs_incremental(summary(), None), 1.0)
    assert math.isnan(story.alert_totals(untested)["incremental_revenue"])


def test_an_iroas_alert_says_whether_its_whole_interval_is_below() -> None:
    table = story.attributed_vs_incremental(summary(), breakdown())
    # Ann: iROAS 0.6x, interval 0.2x-1.0x. Below 1.0x only on the point (the interval reaches 1.0x); below 1.1x
    # with the whole interval. Di is judged on attributed ROAS, which has no interval.
    at_one = story.poor_roi(table, 1.0).set_index("name")["evidence"]
    assert at_one.to_dict() == {"Di": story.NO_INTERVAL, "Ann": story.INTERVAL_REACHES}
    at_one_one = story.poor_roi(table, 1.1).set_index("name")["evidence"]
    assert at_one_one["Ann"] == story.WHOLE_INTERVAL_BELOW
    # Bo (1.2x, 0.9x-1.5x) is flagged below 1.3x on the point, but the interval reaches it.
    assert story.poor_roi(table, 1.3, "iroas").set_index("name")["evidence"]["Bo"] == story.INTERVAL_REACHES


def test_alerts_list_the_surest_first() -> None:
    """Below 1.3x: Ann's whole iROAS interval (0.2x-1.0x) is below, Di has only attributed ROAS (0x), Bo's
    interval (0.9x-1.5x) reaches 1.3x. By value alone Di (0x) would lead and Ann (0.6x) follow."""
    table = story.attributed_vs_incremental(summary(), breakdown())
    alerts = story.poor_roi(table, 1.3)
    assert alerts["name"].tolist() == ["Ann", "Di", "Bo"]
    assert alerts["evidence"].tolist() == list(story.EVIDENCE_ORDER)
    assert "_sureness" not in alerts.columns


def test_evidence_sentence_counts_the_alerts_the_experiment_backs() -> None:
    table = story.attributed_vs_incremental(summary(), breakdown())
    unsure = story.alert_totals(story.poor_roi(table, 1.3, "iroas"))
    assert story.evidence_sentence(unsure, 1.3, 0.95) == (
        "Judged on iROAS, 1 of 2 has its whole 95% interval below 1.30x; for the other 1 the interval reaches "
        "1.30x, so the experiment cannot tell them from 1.30x or more: check those before dropping anyone."
    )
    sure = story.alert_totals(story.poor_roi(table, 1.1, "iroas"))
    assert story.evidence_sentence(sure, 1.1, 0.95) == "Judged on iROAS, 1 of 1 has its whole 95% interval below 1.10x."
    untested = story.alert_totals(story.poor_roi(table, 1.0, "attributed"))
    assert story.evidence_sentence(untested, 1.0, 0.95) == ""


def test_measure_sentences_say_which_measure() -> None:
    table = story.attributed_vs_incremental(summary(), breakdown())
    assert story.measure_sentence(table, "auto") == (
        "Judged on iROAS for the 2 influencer(s) with an experiment and on attributed ROAS for the 2 without one."
    )
    assert story.measure_sentence(table, "iroas").endswith("2 influencer(s) without an experiment are not judged.")
    assert story.measure_sentence(table, "attributed").startswith("Judged on attributed ROAS")
    untested = story.attributed_vs_incremental(summary(), None)
    assert "no influencer in this selection has an experiment" in story.measure_sentence(untested, "auto")


def test_incremental_share_of_nothing_is_undefined() -> None:
    assert math.isnan(story.incremental_share(10.0, 0.0))
    assert story.incremental_share(-10.0, 100.0) == -0.1


@pytest.fixture(scope="module")
def demo_tables(demo_dir: Path) -> dict[str, pd.DataFrame]:
    return demo.read_influencer_tables(demo_dir)


def test_headline_on_the_demo_data_links_both_pages(demo_tables: dict[str, pd.DataFrame]) -> None:
    key = attribution.key_metrics(attribution.influencer_summary(demo_tables))
    report = incrementality.analyse(demo_tables["tracking"], demo_tables["payouts"], n_resamples=2_000)
    numbers = story.headline(key, report.overall)
    assert numbers["attributed_roas"] == key["roas"]
    assert numbers["iroas"] == report.overall.iroas
    assert numbers["iroas_ci_low"] < numbers["iroas"] < numbers["iroas_ci_high"]
    assert numbers["incremental_share"] == pytest.approx(report.overall.incremental_revenue / key["revenue"])
    assert 0 < numbers["incremental_share"] < 1  # the demo's influencers caused part of what they are credited with
    sentence = story.story_sentence(numbers)
    assert sentence.startswith(f"Attributed ROAS {key['roas']:.2f}x counts every sale")
    assert f"({numbers['incremental_share']:.0%})" in sentence and "95% interval" in sentence


def test_headline_without_an_experiment() -> None:
    numbers = story.headline({"revenue": 100.0, "payout": 50.0, "roas": 2.0}, None)
    assert numbers["attributed_roas"] == 2.0 and math.isnan(numbers["iroas"])
    assert story.story_sentence(numbers).endswith("so what the influencers caused (iROAS) cannot be measured.")


def test_failed_checks_replace_the_causal_story() -> None:
    from pipeline.influencers.guardrails import FAIL, FLAG, PASS, Guardrail

    checks = [Guardrail("Sample ratio", FLAG, ""), Guardrail("Non-buyers", FAIL, ""), Guardrail("Lift", FAIL, "")]
    assert story.failed_checks(checks) == ("Non-buyers", "Lift")
    assert story.failed_checks([Guardrail("Sample ratio", PASS, "")]) == ()
    sentence = story.blocked_sentence(10.43, ("Non-buyers", "Plausible lift"))
    assert sentence.startswith("Attributed ROAS 10.43x counts every sale")
    assert "fails its checks (non-buyers and plausible lift)" in sentence and "caused by" not in sentence
    untested = story.attributed_vs_incremental(summary(), None)
    assert story.measure_sentence(untested, "auto", ("Lift",)) == (
        "Judged on attributed ROAS: the experiment fails its checks, so no influencer is judged on iROAS."
    )
    assert story.measure_sentence(untested, "iroas", ("Lift",)).startswith("Judged on iROAS, but the experiment")
