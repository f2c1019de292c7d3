"""Media mix recovery study: fit the model on generated data whose truth is known, compare channel by channel.

Each seed writes a demo folder, fits the model with and without the influencer lift test, and scores each
channel's ROAS against ground_truth.json: relative error, whether the 90% interval covers the truth, and the
interval's width relative to the truth. `make bench` runs 20 seeds; the suite runs a reduced version.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from typing import Any

import data_generation
from bench import alt_generator
from pipeline import config
from pipeline.modeling import artifacts, mmm, mmm_data
from pipeline.modeling.mmm_fit import SamplerSettings, fit_mmm


def channel_scores(summary: dict[str, Any], truth: dict[str, Any], seed: int, calibrated: bool) -> list[dict]:
    """One record per channel: estimate, truth, error, coverage and width of the ROAS interval."""
    records = []
    for name, estimate in summary["channels"].items():
        true_roas = truth["mmm"]["channels"][name]["roas"]
        low, high = estimate["roas_ci"]
        records.append(
            {
                "seed": seed,
                "calibrated": calibrated,
                "channel": name,
                "truth": true_roas,
                "roas": estimate["roas"],
                "relative_error": abs(estimate["roas"] - true_roas) / true_roas,
                "covered": low <= true_roas <= high,
                "width_to_truth": (high - low) / true_roas,
                "r_hat_max": summary["diagnostics"]["r_hat_max"],
                "divergences": summary["diagnostics"]["divergences"],
                "seconds": summary["seconds"],
            }
        )
    return records


def run_seed(seed: int, folder: Path, settings: SamplerSettings, modes: tuple[bool, ...] = (True, False)) -> list[dict]:
    """Generate one seed's demo data into `folder`, score the calibrated (and uncalibrated) fits, keep them there."""
    truth = data_generation.generate(folder, seed=seed, rows=config.DEFAULT_CAMPAIGN_ROWS)
    dataset = mmm.dataset_from_folder(folder)
    records = []
    for calibrate in modes:
        posterior = fit_mmm(dataset, settings, calibrate=calibrate)
        artifacts.save(folder, f"posterior_{'calibrated' if calibrate else 'uncalibrated'}", posterior, {"seed": seed})
        records += channel_scores(mmm.summary(posterior), truth, seed, calibrate)
    return records


def summarise(records: list[dict]) -> dict[str, Any]:
    """The figures the issue's done-when names, from the calibrated fits (and the uncalibrated for calibration)."""
    calibrated = [r for r in records if r["calibrated"]]
    influencers = mmm_data.INFLUENCER_CHANNEL

    def influencer_error(flag: bool) -> float:
        errors = [
            abs(r["roas"] - r["truth"]) for r in records if r["calibrated"] is flag and r["channel"] == influencers
        ]
        return statistics.fmean(errors) if errors else float("nan")

    with_test, without = influencer_error(True), influencer_error(False)
    return {
        "seeds": len({r["seed"] for r in records}),
        "channel_seeds": len(calibrated),
        "median_relative_error": statistics.median(r["relative_error"] for r in calibrated),
        "coverage_90": statistics.fmean(r["covered"] for r in calibrated),
        "median_width_to_truth": statistics.median(r["width_to_truth"] for r in calibrated),
        "influencer_abs_error_calibrated": with_test,
        "influencer_abs_error_uncalibrated": without,
        "calibration_error_cut": 1.0 - with_test / without if without else float("nan"),
        "r_hat_max": max(r["r_hat_max"] for r in records),
        "divergences_max": max(r["divergences"] for r in records),
        "fit_seconds_median": statistics.median(r["seconds"] for r in records),
    }


def recovery_study(
    seeds: list[int], workdir: Path, settings: SamplerSettings | None = None, modes: tuple[bool, ...] = (True, False)
) -> dict[str, Any]:
    """Every seed of the demo generator: the summary and the per-channel records."""
    settings = settings or SamplerSettings()
    started = time.perf_counter()
    records = []
    for seed in seeds:
        records += run_seed(seed, workdir / f"seed{seed}", settings, modes)
    return {"summary": summarise(records), "records": records, "seconds": time.perf_counter() - started}


def other_generator_study(seeds: list[int], workdir: Path, settings: SamplerSettings | None = None) -> dict[str, Any]:
    """The same command's model on bench/alt_generator.py's folders (campaigns.csv + sales.csv, 3 channels)."""
    records = []
    for seed in seeds:
        folder = workdir / f"alt{seed}"
        truths = alt_generator.generate(folder, seed)
        summary = mmm.summary(fit_mmm(mmm.dataset_from_folder(folder), settings or SamplerSettings()))
        records += channel_scores(summary, {"mmm": {"channels": truths}}, seed, calibrated=False)
    return {
        "records": records,
        "median_relative_error": statistics.median(r["relative_error"] for r in records),
        "coverage_90": statistics.fmean(r["covered"] for r in records),
        "median_width_to_truth": statistics.median(r["width_to_truth"] for r in records),
        "r_hat_max": max(r["r_hat_max"] for r in records),
    }


def main(argv: list[str]) -> int:
    """python -m bench.mmm_study WORKDIR SEEDS... [--other N] [--calibrated-only]: JSON on stdout."""
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("workdir", type=Path)
    parser.add_argument("seeds", type=int, nargs="*")
    parser.add_argument("--other", type=int, default=0, help="seeds of the second generator")
    parser.add_argument("--calibrated-only", action="store_true")
    args = parser.parse_args(argv)
    modes = (True,) if args.calibrated_only else (True, False)
    out: dict[str, Any] = {}
    if args.seeds:
        out["demo"] = recovery_study(args.seeds, args.workdir, modes=modes)
    if args.other:
        out["other"] = other_generator_study(list(range(1, args.other + 1)), args.workdir)
    print(json.dumps(out, default=float))
    return 0


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))
