"""`python -m pipeline optimize` and `plan` on the media mix fit: the answers, the modes and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pipeline.cli import main as cli
from pipeline.modeling import mmm, mmm_optimize, mmm_plan, mmm_window
from tests.conftest import copy_mmm_fit

ALL_CHANNELS = ("Instagram", "Meta", "TikTok", "Influencers")  # the demo's channels


@pytest.fixture(scope="module")
def folders(demo_dir: Path, mmm_models_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    models = copy_mmm_fit(mmm_models_dir, tmp_path_factory.mktemp("plan-models"))
    return ["--data", str(demo_dir), "--models", str(models)]


@pytest.fixture(scope="module")
def posterior(demo_dir: Path, mmm_models_dir: Path) -> mmm.MmmPosterior:
    return mmm.load_or_fit(mmm_models_dir, mmm.dataset_from_folder(demo_dir))


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any, str]:
    code = cli.main([*args, "--json"])
    out, err = capsys.readouterr()
    return code, json.loads(out) if code == 0 else None, err


def test_optimize_recommends_a_split_that_beats_the_current_mix_on_the_model(
    capsys: pytest.CaptureFixture[str], folders: list[str], posterior: mmm.MmmPosterior
) -> None:
    code, answer, err = run(capsys, "optimize", "--budget", "150000", "--days", "28", *folders)
    assert code == 0, err
    assert answer["mode"] == "budget" and answer["days"] == 28
    assert answer["start"] == f"{posterior.dates[-1] + mmm_window.pd.Timedelta(days=1):%Y-%m-%d}"
    assert sum(line["spend"] for line in answer["allocation"]) == pytest.approx(150_000)
    assert {line["channel"] for line in answer["allocation"]} == set(posterior.channels)
    assert answer["predicted_revenue"] >= answer["baseline"]["predicted_revenue"] - 1e-6
    assert answer["max_shift"] == 0.3  # each channel within ±30% of the current mix scaled to the budget
    current = mmm_optimize.current_mix(mmm_plan.window_model(posterior, mmm_window.make_window(posterior, 28)), 150_000)
    for line in answer["allocation"]:
        assert 0.7 * current[line["channel"]] - 1e-3 <= line["spend"] <= 1.3 * current[line["channel"]] + 1e-3
    code, free, err = run(capsys, "optimize", "--budget", "150000", "--max-shift", "none", *folders)
    assert code == 0, err
    assert free["max_shift"] is None
    assert free["predicted_revenue"] >= free["equal_split"]["predicted_revenue"] - 1e-6
    assert free["predicted_revenue"] >= answer["predicted_revenue"] - 1e-6
    low, high = answer["predicted_revenue_ci"]
    assert low < answer["predicted_revenue"] < high
    # The same plan scored directly gives the same figures.
    model = mmm_plan.window_model(posterior, mmm_window.make_window(posterior, 28))
    totals = {line["channel"]: line["spend"] for line in answer["allocation"]}
    assert mmm_plan.score_plan(model, totals).summary["predicted_revenue"] == pytest.approx(answer["predicted_revenue"])


def test_plan_scores_a_given_split_and_channels_left_out_spend_nothing(
    capsys: pytest.CaptureFixture[str], folders: list[str]
) -> None:
    code, answer, err = run(
        capsys, "plan", "--spend", "Meta=30000", "--spend", "TikTok=10000", "--days", "14", *folders
    )
    assert code == 0, err
    spend = {line["channel"]: line["spend"] for line in answer["allocation"]}
    assert spend["Meta"] == 30_000 and spend["TikTok"] == 10_000
    assert all(amount == 0 for name, amount in spend.items() if name not in ("Meta", "TikTok"))
    assert answer["mode"] == "given" and answer["budget"] == 40_000 and answer["days"] == 14


def test_a_zero_budget_window_is_the_carry_in(capsys: pytest.CaptureFixture[str], folders: list[str]) -> None:
    code, answer, err = run(capsys, "optimize", "--budget", "0", *folders)
    assert code == 0, err
    assert answer["predicted_revenue"] == pytest.approx(answer["carry_in"]) and answer["carry_in"] > 0
    assert answer["roas"] is None


def test_target_modes_report_the_budget_they_found(
    capsys: pytest.CaptureFixture[str], folders: list[str], posterior: mmm.MmmPosterior
) -> None:
    code, answer, err = run(capsys, "optimize", "--mode", "target-mroas", "--target", "1", *folders)
    assert code == 0, err
    assert answer["target"] == 1 and answer["budget"] == pytest.approx(sum(x["spend"] for x in answer["allocation"]))
    model = mmm_plan.window_model(posterior, mmm_window.make_window(posterior))
    expected = mmm_optimize.optimize(model, "target-mroas", target=1.0)
    assert answer["budget"] == pytest.approx(sum(expected.totals.values()))
    code, answer, err = run(capsys, "optimize", "--mode", "target-roas", "--target", "1.2", *folders)
    assert code == 0, err
    if answer["budget"] > 0:
        assert answer["roas"] == pytest.approx(1.2, rel=0.03)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["plan", "--spend", "Radio=100"], "error: Unknown channel 'Radio'"),
        (["plan", "--spend", "Meta=-100"], "error: The amount in 'Meta=-100' must be a number ≥ 0."),
        (["optimize", "--budget", "1000", "--min", "Meta=5000"], "error: The minimums add up to $"),
        (["optimize", "--budget", "1000", *(f"--max={c}=0" for c in ALL_CHANNELS)], "error: The maximums add up to $0"),
        (["optimize"], "error: --budget is needed in budget mode"),
        (["optimize", "--budget", "1000", "--start", "2000-01-01"], "error: The plan must start after the data ends"),
        (["optimize", "--budget", "1000", "--days", "0"], "error: The plan's length must be 1 to 366 days"),
    ],
)
def test_bad_input_exits_2_with_one_error_line(
    capsys: pytest.CaptureFixture[str], folders: list[str], args: list[str], message: str
) -> None:
    code, _, err = run(capsys, *args, *folders)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith(message), err
