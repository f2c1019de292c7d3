"""A reduced version of bench/planner_study.py (make bench runs 20 seeds): the demo seed's plans on the truth."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import planner_study
from pipeline.modeling import mmm


@pytest.fixture(scope="module")
def checks(demo_dir: Path, mmm_models_dir: Path) -> dict:
    posterior = mmm.load_or_fit(mmm_models_dir, mmm.dataset_from_folder(demo_dir))
    truth = json.loads((demo_dir / "ground_truth.json").read_text())
    return planner_study.seed_checks(posterior, truth)


def test_the_recommended_split_is_near_the_true_optimum_and_beats_the_current_mix(checks: dict) -> None:
    assert checks["recommended_vs_true_optimum"] >= 0.97, checks
    assert checks["recommended_minus_current_true"] >= 0, checks


def test_the_optimum_is_consistent(checks: dict) -> None:
    assert checks["optimum_never_falls"], checks
    assert checks["free_marginal_spread"] <= 0.05, checks


def test_the_plan_interval_and_the_carry_in_hold_up_against_the_truth(checks: dict) -> None:
    assert checks["covered_recommended"] and checks["covered_current"], checks
    assert checks["carry_in_covered"], checks


def test_the_model_gives_its_own_odds_against_the_current_mix(checks: dict) -> None:
    assert 0.5 < checks["probability_beats_current"] <= 1, checks
    assert checks["gain_covered"], checks
