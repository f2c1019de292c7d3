"""The media mix model's recovery against known truth (20 demo seeds, 5 seeds of a second generator), fit time
and memory. The fits run in a child process, so its peak resident memory is the model's own."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from typing import Any

from bench.sections.common import ROOT

SEEDS, OTHER_SEEDS = 20, 5
QUICK_SEEDS, QUICK_OTHER = 2, 1
TIME_LIMIT_S = 4 * 3600


def run_section(quick: bool) -> dict[str, Any]:
    seeds, other = (QUICK_SEEDS, QUICK_OTHER) if quick else (SEEDS, OTHER_SEEDS)
    with tempfile.TemporaryDirectory(prefix="bench-mmm-") as workdir:
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "bench.mmm_study", workdir, *map(str, range(1, seeds + 1)), "--other", str(other)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=TIME_LIMIT_S,
            check=True,
        )
        planned, bounds = (
            subprocess.run(
                [sys.executable, "-m", module, workdir],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=TIME_LIMIT_S,
                check=True,
            )
            for module in ("bench.planner_study", "bench.information_bound")
        )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["planner"] = json.loads(planned.stdout.strip().splitlines()[-1])
    result["bounds"] = json.loads(bounds.stdout.strip().splitlines()[-1])
    result["seconds"] = time.perf_counter() - started
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return result


def _row(label: str, value: float, ok: bool, target: str) -> str:
    return f"| {label} | {value:.3g} ({'met' if ok else 'NOT met'}; target {target}) |"


def mmm_lines(result: dict[str, Any]) -> list[str]:
    if "demo" not in result:
        return ["## Media mix model", "", f"Not available: {result.get('reason', result.get('error', 'not run'))}", ""]
    demo, other = result["demo"]["summary"], result.get("other", {})
    error, coverage, width = demo["median_relative_error"], demo["coverage_90"], demo["median_width_to_truth"]
    lines = [
        "## Media mix model: recovery of the generator's truth",
        "",
        f"{demo['seeds']} demo seeds ({demo['channel_seeds']} channel-seeds, calibrated fits); "
        f"fit time median {demo['fit_seconds_median']:.0f} s (target ≤ 180 s); peak memory of the fitting "
        f"process {result['peak_rss_mb']:.0f} MB.",
        "",
        "| Figure | Value |",
        "|---|---|",
        _row("ROAS median absolute relative error", error, error <= 0.2, "≤ 0.20"),
        _row("90% ROAS interval coverage", coverage, 0.8 <= coverage <= 0.97, "0.80–0.97"),
        _row("Median interval width / truth", width, width <= 1.0, "≤ 1"),
        _row(
            "Influencers ROAS error cut by the lift test",
            demo["calibration_error_cut"],
            demo["calibration_error_cut"] >= 0.3,
            "≥ 0.30",
        ),
        _row("Largest R-hat", demo["r_hat_max"], demo["r_hat_max"] <= 1.05, "≤ 1.05"),
        f"| Most divergent draws in one fit | {demo['divergences_max']} |",
    ]
    if other:
        other_error = other["median_relative_error"]
        lines += [
            _row("Second generator: ROAS median relative error", other_error, other_error <= 0.2, "≤ 0.20"),
            _row(
                "Second generator: 90% coverage", other["coverage_90"], 0.8 <= other["coverage_90"] <= 0.97, "0.80–0.97"
            ),
            _row(
                "Second generator: width / truth",
                other["median_width_to_truth"],
                other["median_width_to_truth"] <= 1,
                "≤ 1",
            ),
        ]
    planner = planner_lines(result.get("planner", {}).get("summary", {}))
    return [*lines, "", *planner, *bound_lines(result.get("bounds", {}).get("summary", {}))]


def planner_lines(plan: dict[str, Any]) -> list[str]:
    """The forward planner's checks against the truth (bench/planner_study.py)."""
    if not plan:
        return []
    near, fall = plan["recommended_vs_true_optimum_min"], plan["optimum_never_falls_share"]
    spread, target = plan["free_marginal_spread_max"], plan["target_mroas_budget_error_median"]
    coverage, carry = plan["coverage_recommended"], plan["carry_in_error_median"]
    seconds = max(plan["optimize_seconds_median"], plan["target_mroas_seconds_median"], plan["score_seconds_median"])
    return [
        "## Forward planner: plans on each seed's model, scored on the true curves",
        "",
        f"{plan['seeds']} seeds; next 28 days, budget = the last 28 days' spend.",
        "",
        "| Figure | Value |",
        "|---|---|",
        _row("Worst seed: true revenue of the split / true optimum", near, near >= 0.97, "≥ 0.97"),
        _row(
            "Seeds where the split truly brings less than the current mix",
            plan["below_current_mix_seeds"],
            plan["below_current_mix_seeds"] == 0,
            "0",
        ),
        *_odds_row(plan),
        _row("Share of seeds where more budget never lowers the optimum", fall, fall == 1.0, "1"),
        _row("Largest marginal-ROAS gap between free channels", spread, spread <= 0.05, "≤ 0.05"),
        _row("Target-mROAS budget vs the true budget, median error", target, target <= 0.05, "≤ 0.05"),
        f"| Target-mROAS budget error, worst seed | {plan['target_mroas_budget_error_max']:.3g} |",
        f"| Channels whose true spend at the target lies in the 90% interval | "
        f"{plan['target_mroas_interval_coverage']:.3g} |",
        _row("90% interval of the split's revenue covers the truth", coverage, 0.8 <= coverage <= 0.97, "0.80–0.97"),
        _row("Zero-budget carry-in, median error", carry, carry <= 0.10, "≤ 0.10"),
        f"| Carry-in: worst error; 90% interval coverage | {plan['carry_in_error_max']:.3g}; "
        f"{plan['carry_in_coverage']:.3g} |",
        _row("Slowest of optimize / target-mROAS / scoring, median seconds", seconds, seconds <= 0.3, "≤ 0.3"),
        "",
    ]


def _odds_row(plan: dict[str, Any]) -> list[str]:
    """The below-current count the model's own odds predict (absent from results older than the row)."""
    if "expected_below_current_mix_seeds" not in plan:
        return []
    return [
        f"| The same, expected from the model's own odds (Σ 1 − P(split beats current mix)); 90% interval of the "
        f"gain holds the true gain | {plan['expected_below_current_mix_seeds']:.3g}; "
        f"{plan['gain_interval_coverage']:.3g} |"
    ]


def bound_lines(bounds: dict[str, Any]) -> list[str]:
    """The smallest relative sd any estimate could have (bench/information_bound.py), against the point targets."""
    if not bounds:
        return []
    lines = [
        "## Forward planner: the best any estimate could do on one year of daily data (information bound)",
        "",
        f"{bounds['seeds']} seeds. A point target of ±t met in 90% of seeds needs a relative sd ≤ t / 1.645.",
        "",
        "| Figure | Smallest relative sd, data alone (median; best seed) | With the fit's priors | Seeds where the "
        "target is within reach |",
        "|---|---|---|---|",
    ]
    for key, label in (
        ("carry_in", "Zero-budget carry-in (target ±10%)"),
        ("target_mroas_budget", "Target-mROAS budget (±5%)"),
    ):
        lines.append(
            f"| {label} | {bounds[f'{key}_relative_sd_data_median']:.2f}; {bounds[f'{key}_relative_sd_data_min']:.2f} "
            f"| {bounds[f'{key}_relative_sd_with_priors_median']:.2f}; "
            f"{bounds[f'{key}_relative_sd_with_priors_min']:.2f} | {bounds[f'{key}_seeds_within_reach']} |"
        )
    return [*lines, ""]
