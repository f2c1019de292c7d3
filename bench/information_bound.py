"""How close any model could come: information bounds on the planner's carry-in and target-mROAS budget.

The forward-planner issue asks for point estimates within ±10% (the zero-budget carry-in) and ±5% (the budget
where marginal ROAS = 1) of the truth. How close any estimate can come is set by the data. For the demo
generator's revenue = baseline + Σ_c β_c·h(adstock(spend_c)) + Normal(0, σ), the Fisher information of the fitted
days in the 16 channel parameters (decay, half-saturation, slope and β per channel) and the baseline's terms
(the model's own: intercept, trend, weekdays, holiday peak, yearly Fourier modes), with the lift test as one more
observation of the calibrated channel's ROAS, gives by the delta method the smallest standard deviation an
unbiased estimate of a figure derived from them can have (Cramér–Rao). The `with_priors` figures add the fit's priors as
Gaussian information (each prior's variance, in the fit's scaled units): approximately the bound for estimates
that use those priors (van Trees). σ is taken as known, which only makes the bound smaller.

The figures are the planner's own (pipeline.modeling.mmm_plan / mmm_optimize on the true parameters as the one
draw), differentiated numerically. A point target of ±t met in 90% of seeds needs a relative sd of at most
t / 1.645.

    python -m bench.information_bound WORKDIR [SEEDS...]   (seed folders as bench.mmm_study leaves them;
                                                           a missing one is generated)
"""

from __future__ import annotations

import json
import statistics
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import data_generation
from bench.planner_study import DAYS, truth_rows
from pipeline.modeling import media_curves, mmm, mmm_optimize, mmm_plan, mmm_window
from pipeline.modeling.mmm_data import MmmDataset
from pipeline.modeling.mmm_fit import HOLDOUT_DAYS, YEARLY_FOURIER_ORDER, MmmPosterior

PARAMETERS = ("decay", "half_saturation", "slope", "beta")
RELATIVE_STEP = 1e-4
Z_90 = 1.645
CARRY_IN_TARGET, TARGET_MROAS_TARGET = 0.10, 0.05
# The fit's priors (pipeline.modeling.mmm_fit and PyMC-Marketing's defaults) as variances in its scaled units:
# Beta(2, 2), Gamma(sd 0.25) on κ / channel max, Gamma(sd 0.4), HalfNormal(1) on β / revenue max.
PRIOR_VARIANCE = {"decay": 0.05, "half_saturation": 0.25**2, "slope": 0.4**2, "beta": 1 - 2 / np.pi}
BASELINE_PRIOR_SD = {"intercept": 2.0, "control": 2.0, "fourier": np.sqrt(2.0)}  # Normal(0, 2); Laplace(0, 1)


@dataclass(frozen=True)
class Problem:
    """One seed's fitted days, its truth as one posterior draw, and the noise."""

    dataset: MmmDataset
    posterior: MmmPosterior  # the true parameters as its only draw
    fitted_days: int
    noise_sd: float


def problem_from_folder(folder: Path) -> Problem:
    truth = json.loads((folder / "ground_truth.json").read_text())
    dataset = mmm.dataset_from_folder(folder)
    rows = truth_rows(dataset.channels, truth)
    fitted_days = len(dataset.dates) - HOLDOUT_DAYS
    posterior = MmmPosterior(
        channels=dataset.channels,
        dates=dataset.dates,
        spend=dataset.spend,
        revenue=dataset.revenue,
        **rows,
        predicted=pd.DataFrame(),
        holdout_start=dataset.dates[fitted_days],
        calibrated=[],
        diagnostics={},
        seconds=0.0,
    )
    return Problem(dataset, posterior, fitted_days, float(truth["mmm"]["noise_sd"]))


def _with(posterior: MmmPosterior, channel: int, parameter: str, value: float) -> MmmPosterior:
    values = getattr(posterior, parameter).copy()
    values[0, channel] = value
    return replace(posterior, **{parameter: values})


def _steps(posterior: MmmPosterior) -> list[tuple[int, str, float]]:
    """(channel, parameter, step) for every channel parameter."""
    return [
        (index, name, RELATIVE_STEP * max(abs(float(getattr(posterior, name)[0, index])), 1e-3))
        for index in range(len(posterior.channels))
        for name in PARAMETERS
    ]


def gradient(posterior: MmmPosterior, figure: Any) -> np.ndarray:
    """Central differences of figure(posterior) -> array in every channel parameter: (parameters, *shape)."""
    rows = []
    for index, name, step in _steps(posterior):
        value = float(getattr(posterior, name)[0, index])
        up = np.asarray(figure(_with(posterior, index, name, value + step)))
        down = np.asarray(figure(_with(posterior, index, name, value - step)))
        rows.append((up - down) / (2 * step))
    return np.array(rows)


def _channel_revenue(posterior: MmmPosterior, index: int, spend: np.ndarray) -> np.ndarray:
    """(days,) revenue channel `index` brings on `spend` under the posterior's one draw."""
    return media_curves.daily_contribution(
        spend,
        posterior.decay[0, index],
        posterior.max_lag,
        posterior.half_saturation[0, index],
        posterior.slope[0, index],
        posterior.beta[0, index],
    )[0]


def expected_revenue(problem: Problem, posterior: MmmPosterior) -> np.ndarray:
    """The media part of expected revenue on the fitted days."""
    days = problem.fitted_days
    return sum(
        _channel_revenue(posterior, i, posterior.spend[name].to_numpy()[:days])
        for i, name in enumerate(posterior.channels)
    )


def _revenue_scale(problem: Problem) -> float:
    """The fit's target scale: the largest revenue of a fitted day."""
    return float(problem.dataset.revenue.iloc[: problem.fitted_days].abs().max())


def baseline_design(problem: Problem) -> tuple[np.ndarray, np.ndarray]:
    """(days, terms) the model's baseline terms on the fitted days, and each term's prior sd in currency."""
    dates = problem.dataset.dates[: problem.fitted_days]
    controls = problem.dataset.controls.iloc[: problem.fitted_days].to_numpy()
    modes = mmm_window.yearly_modes(dates, YEARLY_FOURIER_ORDER)
    design = np.column_stack([np.ones(len(dates)), controls, modes])
    scale = _revenue_scale(problem)
    sd = [BASELINE_PRIOR_SD["intercept"]] + [BASELINE_PRIOR_SD["control"]] * controls.shape[1]
    sd += [BASELINE_PRIOR_SD["fourier"]] * modes.shape[1]
    return design, np.array(sd) * scale


def _lift_test_information(problem: Problem) -> np.ndarray:
    """(parameters, parameters) of the lift tests: each observes its channel's ROAS over the fitted days."""
    days = problem.fitted_days
    size = len(_steps(problem.posterior))
    information = np.zeros((size, size))
    for test in problem.dataset.lift_tests:
        index = problem.posterior.channels.index(test.channel)
        spend = problem.posterior.spend[test.channel].to_numpy()[:days]
        if spend.sum() <= 0 or not np.isfinite(test.standard_error) or test.standard_error <= 0:
            continue

        def roas(posterior: MmmPosterior, i: int = index, s: np.ndarray = spend) -> float:
            return float(_channel_revenue(posterior, i, s).sum() / s.sum())

        g = gradient(problem.posterior, roas)
        information += np.outer(g, g) / test.standard_error**2
    return information


def prior_precision(problem: Problem) -> np.ndarray:
    """The fit's priors as Gaussian information, in the same parameter order as `information`."""
    days = problem.fitted_days
    baseline_sd = baseline_design(problem)[1]
    channel_scale = problem.dataset.spend.iloc[:days].max().to_numpy()
    ones = np.ones_like(channel_scale)
    unit = {"decay": ones, "half_saturation": channel_scale, "slope": ones, "beta": ones * _revenue_scale(problem)}
    channel = [PRIOR_VARIANCE[name] * unit[name][index] ** 2 for index, name, _ in _steps(problem.posterior)]
    return np.diag(1.0 / np.concatenate([channel, baseline_sd**2]))


def information(problem: Problem) -> np.ndarray:
    """Fisher information in (channel parameters, baseline terms) of the fitted days and the lift tests."""
    media = gradient(problem.posterior, lambda posterior: expected_revenue(problem, posterior)).T
    jacobian = np.column_stack([media, baseline_design(problem)[0]])
    fisher = jacobian.T @ jacobian / problem.noise_sd**2
    channels = media.shape[1]
    fisher[:channels, :channels] += _lift_test_information(problem)
    return fisher


def smallest_sd(problem: Problem, figure: Any, fisher: np.ndarray) -> float:
    """The delta-method bound sqrt(gᵀ I⁻¹ g) on a scalar figure of the channel parameters, given the information
    (the baseline terms' rows follow the channel parameters' and the figure does not depend on them)."""
    g = gradient(problem.posterior, figure)
    full = np.concatenate([g, np.zeros(fisher.shape[0] - len(g))])
    return float(np.sqrt(full @ np.linalg.pinv(fisher) @ full))


def carry_in(posterior: MmmPosterior) -> float:
    """The planner's zero-budget carry-in over the next DAYS days."""
    model = mmm_plan.window_model(posterior, mmm_window.make_window(posterior, DAYS))
    return model.mean_revenue({})


def target_mroas_budget(posterior: MmmPosterior) -> float:
    """The planner's budget over the next DAYS days where each channel's marginal ROAS falls to 1."""
    model = mmm_plan.window_model(posterior, mmm_window.make_window(posterior, DAYS))
    return sum(mmm_optimize.optimize(model, "target-mroas", target=1.0).totals.values())


def seed_bounds(problem: Problem) -> dict[str, float]:
    data = information(problem)
    fishers = {"data": data, "with_priors": data + prior_precision(problem)}
    out: dict[str, float] = {}
    for key, figure in (("carry_in", carry_in), ("target_mroas_budget", target_mroas_budget)):
        truth = figure(problem.posterior)
        out[key] = truth
        for label, fisher in fishers.items():
            out[f"{key}_relative_sd_{label}"] = smallest_sd(problem, figure, fisher) / truth if truth else float("nan")
    return out


def summarise(records: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {"seeds": len(records)}
    for key, target in (("carry_in", CARRY_IN_TARGET), ("target_mroas_budget", TARGET_MROAS_TARGET)):
        for label in ("data", "with_priors"):
            values = [r[f"{key}_relative_sd_{label}"] for r in records]
            out[f"{key}_relative_sd_{label}_median"] = statistics.median(values)
            out[f"{key}_relative_sd_{label}_min"] = min(values)
        out[f"{key}_seeds_within_reach"] = sum(r[f"{key}_relative_sd_with_priors"] <= target / Z_90 for r in records)
    return out


def bound_study(workdir: Path, seeds: list[int]) -> dict[str, Any]:
    records = []
    for seed in seeds:
        folder = workdir / f"seed{seed}"
        if not (folder / "ground_truth.json").is_file():
            data_generation.generate(folder, seed=seed)
        records.append({"seed": seed, **seed_bounds(problem_from_folder(folder))})
    return {"summary": summarise(records), "records": records}


def main(argv: list[str]) -> int:
    """python -m bench.information_bound WORKDIR [SEEDS...] (default: every seed folder there): JSON on stdout."""
    workdir = Path(argv[0])
    seeds = [int(a) for a in argv[1:]] or sorted(
        int(path.parent.name.removeprefix("seed")) for path in workdir.glob("seed*/ground_truth.json")
    )
    print(json.dumps(bound_study(workdir, seeds), default=float))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
