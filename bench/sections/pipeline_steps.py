"""Pipeline pieces on their own: CSV ingestion, the incrementality bootstrap, model training, forecasts and the
budget planner. The one bench module that reaches into those pipeline subjects (with bench/studies.py)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import data_generation
from bench import studies
from bench.measure import repeat, stats, timed
from bench.sections.common import DEMO_ROWS, guarded
from pipeline import config
from pipeline.inputs import demo


def bench_ingestion(runs: int, data_dir: Path) -> dict[str, Any]:
    """Rows per second of pipeline.inputs.ingest on the data set's campaign CSV."""
    from pipeline.inputs.ingest.load import ingest

    path = data_dir / config.CAMPAIGNS_FILE
    samples, rows = [], 0
    for _ in range(runs):
        seconds, result = timed(lambda: ingest(path))
        samples.append(seconds)
        rows = result.rows_kept
    timing = stats(samples)
    return {
        "file_mb": round(path.stat().st_size / 2**20, 1),
        "rows": rows,
        "time": timing,
        "rows_per_s_median": rows / timing["median"],
        "rows_per_s_min": rows / timing["max"],
        "rows_per_s_max": rows / timing["min"],
    }


def bench_incrementality(runs: int, coverage_seeds: int) -> dict[str, Any]:
    """incrementality.analyse's time with and without breakdowns, and the interval's coverage across seeds."""
    from pipeline.influencers import incrementality, statistics

    data = data_generation.influencer_tables(1, n_influencers=200, users_per_influencer=5000)
    tracking, payouts = data["tracking_data"], data["payouts"]
    timing = repeat(lambda _i: incrementality.analyse(tracking, payouts, breakdowns=()), runs)
    with_breakdowns = repeat(lambda _i: incrementality.analyse(tracking, payouts), max(1, runs // 2 + 1))
    report = incrementality.analyse(tracking, payouts, breakdowns=())
    seconds, coverage = timed(lambda: studies.full_coverage(coverage_seeds))
    truth = data["truth"]["iroas"]
    return {
        "tracking_rows": len(tracking),
        "resamples": statistics.N_RESAMPLES,
        "analyse_overall": timing,
        "analyse_with_breakdowns": with_breakdowns,
        "iroas": report.overall.iroas,
        "iroas_interval": [report.overall.iroas_ci_low, report.overall.iroas_ci_high],
        "true_iroas": truth,
        "coverage": {**coverage, "seconds": seconds},
    }


def bench_models(runs: int, data_dir: Path) -> dict[str, Any]:
    """Training, forecast and optimizer latency, and the forecaster on a peer's published split."""
    out: dict[str, Any] = {}
    frame = demo.read_campaigns(data_dir)
    out["training"] = guarded("training", lambda: _training(data_dir, runs))
    if studies.SOCIAL_PRED_FILE.is_file():
        out["social_pred_benchmark"] = guarded("social_pred", studies.social_pred_benchmark)
    out["forecast"] = guarded("forecast", lambda: _forecast(frame, runs))
    out["planner"] = guarded("planner", lambda: _planner(frame, runs))
    return out


def _training(data_dir: Path, runs: int) -> dict[str, Any]:
    from pipeline.modeling import store

    with tempfile.TemporaryDirectory() as models_dir:
        seconds, done = timed(lambda: store.ensure_models(data_dir, Path(models_dir)))
        saved = sorted(p.name for p in Path(models_dir).iterdir() if not p.name.startswith("."))
        load = repeat(lambda _i: store.load_models(Path(models_dir)), runs)
    return {
        "ensure_models_s": seconds,
        "trained": list(done.get("trained", [])),
        "artifacts": saved,
        "load_models": load,
        "data_rows": DEMO_ROWS,
    }


def _forecast(frame: pd.DataFrame, runs: int) -> dict[str, Any]:
    from pipeline.modeling import forecast_training

    train_s, (model, _meta) = timed(lambda: forecast_training.train_forecaster(frame))
    row = frame.iloc[[0]][[*model.categorical, model.numeric]]
    batch = frame.iloc[:1000][[*model.categorical, model.numeric]]
    model.predict(row)  # first call builds lookup tables
    one = repeat(lambda _i: model.predict(row), max(runs, 20))
    thousand = repeat(lambda _i: model.predict(batch), runs)
    return {"train_forecaster_s": train_s, "predict_1_row": one, "predict_1000_rows": thousand}


def _planner(frame: pd.DataFrame, runs: int) -> dict[str, Any]:
    """pipeline.modeling.optimizer.optimize_budget latency for 3 and 12 plan lines (bounds ±50% of current spend)."""
    from pipeline.modeling import forecast_training, optimizer, planner

    model, _meta = forecast_training.train_forecaster(frame)
    three = planner.default_lines(model, 3_000.0).head(3)
    twelve = pd.concat([planner.default_lines(model, 100.0)] * 2, ignore_index=True).iloc[:12]
    twelve = twelve.assign(spend=np.linspace(20, 240, 12), device=["Mobile", "Desktop"] * 6)
    out: dict[str, Any] = {}
    for label, lines in (("optimizer, 3 lines", three), ("optimizer, 12 lines", twelve)):
        bounded = optimizer.default_bounds(lines)
        budget = float(lines["spend"].sum())
        out[label] = repeat(lambda _i, b=bounded, total=budget: optimizer.optimize_budget(model, b, total), runs)
    curve_line = twelve.iloc[0].to_dict()
    out["response curve, 50 points"] = repeat(lambda _i: planner.response_curve(model, curve_line), runs)
    return out
