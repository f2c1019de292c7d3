"""Planner: scenarios, plan validation and totals, response curves, the budget optimizer, the CLI."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline import kpis
from pipeline.cli import main
from pipeline.modeling import forecast_scores, optimizer, planner
from pipeline.modeling.forecast import Forecaster
from pipeline.modeling.store import load_forecaster


@pytest.fixture(scope="module")
def model(models_dir: Path) -> Forecaster:
    return load_forecaster(models_dir)


@pytest.fixture(scope="module")
def lines(model: Forecaster) -> pd.DataFrame:
    """Nine lines (platform x campaign type) with an uneven current allocation of 1,800."""
    base = planner.default_lines(model, 900.0)
    return base.assign(spend=np.linspace(50.0, 350.0, len(base)) * 1800.0 / np.linspace(50.0, 350.0, len(base)).sum())


def plan_table(**changes: object) -> pd.DataFrame:
    table = pd.DataFrame(
        {
            "platform": ["meta", "TikTok"],
            "campaign_type": ["Conversion", "Awareness"],
            "content_type": ["Video", "Image"],
            "device": ["Mobile", "Desktop"],
            "share": [60.0, 40.0],
        }
    )
    for column, value in changes.items():
        table[column] = value
    return table


class ConcaveForecaster:
    """A stand-in forecaster with known curves: every target is scale[platform]·sqrt(spend) (so revenue's
    marginal ROAS is scale/(2·sqrt(spend)) and break-even is (scale/2)²), bands ±20%, and a supported spend."""

    targets = planner.TARGETS

    def __init__(self, scale: dict[str, float], limit: float = 1e9) -> None:
        self.scale, self.limit = scale, limit
        self.total_calibration: dict = {}  # uncalibrated: plan totals use the summed bounds
        self.categories = {f: ["x"] for f in planner.LINE_FIELDS} | {"platform": list(scale)}
        self.defaults = {f: values[0] for f, values in self.categories.items()}

    def predict(self, frame: pd.DataFrame) -> pd.DataFrame:
        value = frame["platform"].map(self.scale).to_numpy() * np.sqrt(frame["spend"].to_numpy(dtype="float64"))
        return pd.DataFrame(
            {f"{t}{s}": value * k for t in self.targets for s, k in (("", 1.0), ("_lo", 0.8), ("_hi", 1.2))},
            index=frame.index,
        )

    def supported_spend(self, frame: pd.DataFrame) -> np.ndarray:
        return np.full(len(frame), self.limit)

    def extrapolated(self, frame: pd.DataFrame) -> np.ndarray:
        return frame["spend"].to_numpy(dtype="float64") > self.limit


def concave_lines(fake: ConcaveForecaster, spend: list[float]) -> pd.DataFrame:
    return pd.DataFrame({f: "x" for f in planner.LINE_FIELDS} | {"platform": list(fake.scale), "spend": spend})


def test_scenario_is_case_insensitive_with_intervals_and_ratios(model: Forecaster) -> None:
    result = planner.predict_scenario(model, 250.0, platform="meta", device="MOBILE")
    assert result["platform"] == "Meta" and result["device"] == "Mobile"
    assert result["campaign_type"] == model.defaults["campaign_type"]
    for target in planner.TARGETS:
        assert 0 <= result[f"{target}_lo"] <= result[target] <= result[f"{target}_hi"]
    assert result["roas"] == pytest.approx(result["revenue"] / 250.0)
    assert result["cpm"] == pytest.approx(1000 * 250.0 / result["impressions"])
    zero = planner.predict_scenario(model, 0.0, platform="Meta")
    assert np.isnan(zero["roas"])  # zero spend: ROAS undefined, never inf
    assert result["extrapolated"] is False and result["coverage"] == 0.9


def test_spend_beyond_the_data_is_flagged_without_a_coverage(model: Forecaster) -> None:
    limit = model.spend_limits["Meta"]
    inside = planner.predict_scenario(model, limit, platform="Meta")
    beyond = planner.predict_scenario(model, 5000.0, platform="Meta")
    assert inside["supported_spend"] == beyond["supported_spend"] == limit
    assert (inside["extrapolated"], inside["coverage"]) == (False, 0.9)
    assert (beyond["extrapolated"], beyond["coverage"]) == (True, None)  # no calibrated interval out there
    message = planner.range_warning(pd.DataFrame([beyond]))
    assert message is not None and "$5,000 > $" in message and planner.range_warning(pd.DataFrame([inside])) is None


def test_unknown_category_names_the_known_ones(model: Forecaster) -> None:
    with pytest.raises(ValueError, match="Unknown platform 'Myspace'; the model knows: Instagram, Meta, TikTok"):
        planner.predict_scenario(model, 100.0, platform="Myspace")
    with pytest.raises(ValueError, match="at least 0"):
        planner.predict_scenario(model, -5.0, platform="Meta")


def test_plan_counts_add_up_and_ratios_come_from_totals(model: Forecaster) -> None:
    built = planner.build_plan(model, plan_table(), 1000.0)
    assert list(built["spend"]) == [600.0, 400.0] and list(built["platform"]) == ["Meta", "TikTok"]
    predicted, total = planner.predict_plan(model, built)
    assert list(predicted["share"]) == pytest.approx([0.6, 0.4])
    for target in planner.TARGETS:
        assert total[target] == pytest.approx(predicted[target].sum())
        # the band calibrated on daily sums of held-out lines (its coverage: test_forecast, test_intervals)
        band = forecast_scores.total_interval(model, target, predicted, planner.plan_units(predicted))
        assert (total[f"{target}_lo"], total[f"{target}_hi"]) == pytest.approx(band)
        assert total[f"{target}_lo"] <= total[target] <= total[f"{target}_hi"]
        assert total[f"{target}_lo_sum"] == pytest.approx(predicted[f"{target}_lo"].sum())
    assert total["roas"] == pytest.approx(total["revenue"] / 1000.0)
    assert total["cpa"] == pytest.approx(1000.0 / total["conversions"])
    mean_of_rows = predicted["roas"].mean()
    assert total["roas"] != pytest.approx(mean_of_rows) or predicted["roas"].nunique() == 1


def test_amount_mode_uses_the_amounts(model: Forecaster) -> None:
    table = plan_table().drop(columns="share").assign(amount=[100.0, 300.0])
    built = planner.build_plan(model, table, None, mode="amount")
    assert list(built["spend"]) == [100.0, 300.0]


@pytest.mark.parametrize(
    ("changes", "budget", "message"),
    [
        ({"share": [60.0, 30.0]}, 1000.0, "must add up to 100%; they add up to 90.00%"),
        ({"share": [120.0, -20.0]}, 1000.0, "can't be negative"),
        ({"platform": ["Meta", "Friendster"]}, 1000.0, "Unknown platform 'Friendster'; the model knows: Instagram"),
        ({"device": ["Mobile", None]}, 1000.0, "Unknown device \\(blank\\)"),
        ({}, 0.0, "budget must be a positive number"),
        ({"share": ["sixty", 40.0]}, 1000.0, "numeric share; line\\(s\\) 1"),
    ],
)
def test_bad_plan_input_gives_messages(
    model: Forecaster, changes: dict[str, object], budget: float, message: str
) -> None:
    with pytest.raises(planner.PlanError, match=message):
        planner.build_plan(model, plan_table(**changes), budget)


def test_several_problems_are_all_reported(model: Forecaster) -> None:
    with pytest.raises(planner.PlanError) as caught:
        planner.build_plan(model, plan_table(share=[10.0, 10.0], content_type=["Hologram", "Image"]), 500.0)
    assert len(caught.value.messages) == 2
    with pytest.raises(planner.PlanError, match="no lines"):
        planner.build_plan(model, plan_table().iloc[0:0], 500.0)


def test_curves_never_fall_and_stop_at_the_supported_spend(model: Forecaster, lines: pd.DataFrame) -> None:
    for _, line in lines.iterrows():
        curve = planner.response_curve(model, line.to_dict())
        assert len(curve) == planner.CURVE_POINTS
        assert curve["spend"].iloc[0] == 0 and curve["spend"].iloc[-1] == pytest.approx(2.5 * line["spend"])
        limit = model.spend_limits[line["platform"]]
        beyond = curve["spend"].to_numpy() > limit
        assert (curve["extrapolated"].to_numpy() == beyond).all() and (curve["supported_spend"] == limit).all()
        known = curve[~beyond]
        assert curve.loc[beyond, list(model.columns)].isna().all().all()  # no value where the data says nothing
        assert known[list(model.columns)].notna().all().all()
        for column in model.columns:
            assert (np.diff(known[column].to_numpy()) >= -1e-9).all(), column
    assert any(planner.response_curve(model, line.to_dict())["extrapolated"].any() for _, line in lines.iterrows())


def test_marginal_roas_and_breakeven_on_a_known_curve() -> None:
    fake = ConcaveForecaster({"A": 20.0})  # revenue 20·sqrt(s): marginal ROAS 10/sqrt(s), below 1 from s = 100
    line = concave_lines(fake, [25.0]).iloc[0].to_dict()
    assert planner.marginal_roas(fake, line) == pytest.approx(10 / np.sqrt(25.0), rel=0.01)
    assert np.isnan(planner.marginal_roas(fake, {**line, "spend": 0.0}))
    curve = planner.response_curve(fake, {**line, "spend": 60.0})  # 0 to 150
    assert 97.0 <= planner.breakeven_spend(curve, 60.0) <= 106.0


def test_marginal_roas_and_breakeven_are_undefined_beyond_the_data() -> None:
    fake = ConcaveForecaster({"A": 20.0}, limit=80.0)  # the data stops before marginal ROAS reaches 1
    line = concave_lines(fake, [75.0]).iloc[0].to_dict()
    assert np.isnan(planner.marginal_roas(fake, line))  # 75 + 10% is beyond 80
    assert planner.marginal_roas(fake, {**line, "spend": 50.0}) == pytest.approx(10 / np.sqrt(50.0), rel=0.01)
    curve = planner.response_curve(fake, {**line, "spend": 60.0})
    assert curve.loc[curve["spend"] > 80.0, "revenue"].isna().all()
    assert np.isnan(planner.breakeven_spend(curve, 60.0))  # not "where the data ends"
    assert "stops at $80" in planner.curve_warning(curve)


def test_breakeven_on_known_curves() -> None:
    spend = np.linspace(0, 100, 11)
    rising = pd.DataFrame({"spend": spend, "revenue": 3 * spend})
    assert np.isnan(planner.breakeven_spend(rising, 40.0))
    saturating = pd.DataFrame({"spend": spend, "revenue": np.minimum(3 * spend, 150.0)})
    assert 50.0 <= planner.breakeven_spend(saturating, 40.0) <= 70.0
    flat = pd.DataFrame({"spend": spend, "revenue": np.full(11, 5.0)})
    assert planner.breakeven_spend(flat, 40.0) == 0.0


def test_optimum_matches_the_analytic_optimum() -> None:
    """Σ a_i·sqrt(s_i) with Σ s_i = B is largest at s_i = B·a_i²/Σa² (here 100, 400, 900)."""
    fake = ConcaveForecaster({"A": 1.0, "B": 2.0, "C": 3.0})
    lines = concave_lines(fake, [1400 / 3] * 3).assign(min_spend=0.0, max_spend=1400.0)
    for objective in optimizer.OBJECTIVES:
        optimum = optimizer.optimize_budget(fake, lines, 1400.0, objective)
        assert optimum.lines["spend"].to_numpy() == pytest.approx([100.0, 400.0, 900.0], abs=14.0)  # 1% of B
        assert optimum.total[objective] >= 0.999 * np.sqrt(1400.0 * 14.0)  # the optimum's value sqrt(B·Σa²)
        assert optimum.method.startswith("greedy")


def test_optimum_with_a_binding_bound_matches_the_analytic_optimum() -> None:
    fake = ConcaveForecaster({"A": 1.0, "B": 2.0, "C": 3.0})
    lines = concave_lines(fake, [1400 / 3] * 3).assign(min_spend=[150.0, 0.0, 0.0], max_spend=[1400.0, 1400.0, 500.0])
    optimum = optimizer.optimize_budget(fake, lines, 1400.0)
    # C stops at its maximum 500; the other 900 go to A and B in proportion 1:4, but A keeps its minimum 180 > 150
    assert optimum.lines["spend"].to_numpy() == pytest.approx([180.0, 720.0, 500.0], abs=14.0)
    assert optimum.lines["spend"].sum() == pytest.approx(1400.0)


def test_optimizer_flags_lines_beyond_the_data() -> None:
    fake = ConcaveForecaster({"A": 1.0, "B": 2.0, "C": 3.0}, limit=600.0)
    lines = concave_lines(fake, [1400 / 3] * 3).assign(min_spend=0.0, max_spend=1400.0)
    optimum = optimizer.optimize_budget(fake, lines, 1400.0)
    assert list(optimum.lines["extrapolated"]) == [False, False, True]  # C's optimum (900) is beyond 600
    assert optimum.total["extrapolated"] is True
    assert "line 3 ($9" in planner.range_warning(optimum.lines)


def test_default_bounds_keep_the_current_split_feasible(model: Forecaster, lines: pd.DataFrame) -> None:
    bounded = optimizer.default_bounds(lines)
    budget = float(lines["spend"].sum())
    optimum = optimizer.optimize_budget(model, bounded, budget, "revenue")
    spend = optimum.lines["spend"].to_numpy()
    assert spend.sum() == pytest.approx(budget)
    assert (spend >= bounded["min_spend"].to_numpy() - 1e-9).all()
    assert (spend <= bounded["max_spend"].to_numpy() + 1e-9).all()
    # the equal split (1800/9 = 200) is outside the ±50% bounds of the 50-ish line, so it is not a candidate
    assert "equal split" not in optimizer._reference_plans(
        lines, budget, bounded["min_spend"].to_numpy(), bounded["max_spend"].to_numpy()
    )


def test_wide_bounds_beat_the_equal_split(model: Forecaster, lines: pd.DataFrame) -> None:
    budget = float(lines["spend"].sum())
    wide = lines.assign(min_spend=0.0, max_spend=budget)
    optimum = optimizer.optimize_budget(model, wide, budget, "revenue")
    equal = model.predict(lines.assign(spend=budget / len(lines)))["revenue"].sum()
    assert optimum.total["revenue"] >= equal
    assert optimum.lines["spend"].sum() == pytest.approx(budget)
    assert optimum.method.startswith("greedy")  # on this data the greedy plan itself wins


def test_infeasible_bounds_and_objective(model: Forecaster, lines: pd.DataFrame) -> None:
    bounded = optimizer.default_bounds(lines)
    with pytest.raises(planner.PlanError, match="outside"):
        optimizer.optimize_budget(model, bounded, 10 * float(lines["spend"].sum()))
    with pytest.raises(planner.PlanError, match="objective"):
        optimizer.optimize_budget(model, bounded, float(lines["spend"].sum()), "likes")


def test_target_roas_budget(model: Forecaster, lines: pd.DataFrame) -> None:
    _, total = planner.predict_plan(model, lines)
    target = 0.8 * total["roas"]
    budget = optimizer.target_roas_budget(model, lines, target)
    assert budget >= float(lines["spend"].sum()) * 0.99
    _, at_budget = planner.predict_plan(model, lines.assign(spend=lines["spend"] * budget / lines["spend"].sum()))
    assert at_budget["roas"] >= target
    assert np.isnan(optimizer.target_roas_budget(model, lines, 1e6))


def test_compare_plans_and_uplift(model: Forecaster, lines: pd.DataFrame) -> None:
    table = optimizer.compare_plans(model, {"a": lines, "b": lines.assign(spend=lines["spend"] * 2)})
    assert list(table["plan"]) == ["a", "b"] and table["spend"].iloc[1] == pytest.approx(2 * table["spend"].iloc[0])
    assert table["roas"].iloc[0] == pytest.approx(table["revenue"].iloc[0] / table["spend"].iloc[0])
    sentence = optimizer.uplift_sentence(1200.0, 1000.0)
    assert sentence == (
        "The optimised plan is predicted to bring $200 more revenue (+20.0%) "
        "than your current plan for the same budget."
    )
    assert "(" not in optimizer.uplift_sentence(5.0, 0.0, "conversions")
    assert kpis.safe_divide(np.array([1.0]), np.array([0.0])).tolist() != [np.inf]


def run_cli(*argv: str) -> tuple[int, dict | None, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main.main(list(argv))
    return code, (json.loads(out.getvalue()) if code == 0 else None), err.getvalue()


def test_cli_predict(models_dir: Path) -> None:
    code, result, _ = run_cli(
        "predict", "--platform", "tiktok", "--spend", "150", "--models", str(models_dir), "--json"
    )
    assert code == 0 and result is not None
    assert result["platform"] == "TikTok" and result["spend"] == 150.0
    assert result["revenue_lo"] <= result["revenue"] <= result["revenue_hi"]
    code, _, err = run_cli("predict", "--platform", "Orkut", "--spend", "1", "--models", str(models_dir))
    assert code == 2 and "the model knows: Instagram, Meta, TikTok" in err


def test_cli_optimize(models_dir: Path, model: Forecaster) -> None:
    for objective in optimizer.OBJECTIVES:
        code, result, _ = run_cli(
            "optimize-lines", "--budget", "2000", "--objective", objective, "--models", str(models_dir), "--json"
        )
        assert code == 0 and result is not None
        lines = planner.default_lines(model, 2000.0).assign(min_spend=0.0, max_spend=2000.0)
        expected = optimizer.optimize_budget(model, lines, 2000.0, objective)  # the CLI passes it through
        allocation = pd.DataFrame(result["allocation"])
        assert allocation["spend"].to_numpy() == pytest.approx(expected.lines["spend"].to_numpy())
        assert allocation["spend"].sum() == pytest.approx(2000.0)
        assert result[f"predicted_{objective}"] == pytest.approx(expected.total[objective])
        equal = model.predict(planner.default_lines(model, 2000.0))[objective].sum()
        assert result["baseline"]["name"] == "equal split"
        assert result["baseline"][f"predicted_{objective}"] == pytest.approx(equal)
    code, result, _ = run_cli("optimize-lines", "--budget", "100000", "--models", str(models_dir), "--json")
    assert code == 0 and result is not None
    assert model.extrapolated(pd.DataFrame(result["allocation"])).all()  # every line is beyond the data
    code, _, err = run_cli("optimize-lines", "--budget", "-3", "--models", str(models_dir))
    assert code == 2 and "positive" in err


def test_outcome_table_and_starter_plan(model: Forecaster) -> None:
    record = planner.predict_scenario(model, 100.0, platform="Meta")
    table = planner.outcome_table(record)
    assert list(table["outcome"]) == list(planner.TARGETS)
    assert table.loc[3, "predicted"] == record["revenue"] and table.loc[3, "high"] == record["revenue_hi"]
    starter = planner.starter_plan(model)
    assert starter["share"].sum() == pytest.approx(100.0)
    assert list(planner.build_plan(model, starter, 900.0)["platform"]) == model.categories["platform"]
