"""Statistical studies against known truth or a peer's published scores; run by `make bench`, reduced in tests.

They live here, not in pipeline/, because they read the data generator or a peer's file beside the checkout:
what the app trains and shows must not depend on either.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

import data_generation
from pipeline import config
from pipeline.influencers.incrementality import analyse
from pipeline.modeling.forecast import fit_forecaster
from pipeline.modeling.forecast_scores import evaluate_forecaster

SOCIAL_PRED_FILE = config.ROOT.parent / "shared" / "data" / "peers" / "social-pred" / "campaign_data.csv"
SOCIAL_PRED_COLUMNS = {
    "campaign_type": "campaign_type",
    "Platform": "platform",
    "content_type": "content_type",
    "total_spend": "spend",
    "Impressions": "impressions",
    "Engagement": "engagement",
}
# The seed's random forest on that file's 80/20 split (random_state=42), as it reported them.
SEED_R2 = {"impressions": 0.165, "engagement": 0.283}


def full_coverage(n_seeds: int, users_per_influencer: int = 1200, n_influencers: int = 60) -> dict[str, Any]:
    """How often the overall iROAS interval covers the generator's true iROAS across seeds 0..n_seeds-1.

    Also checks the contaminated-user count against the truth. Returns seeds, covered, coverage,
    the mean and the widest interval width, the missed seeds, whether every contamination count matched, and
    the same coverage for the estimate stratified by influencer (the truth is built per influencer).
    """
    covered, widths, missed, counts_ok, stratified_covered = 0, [], [], True, 0
    for seed in range(n_seeds):
        data = data_generation.influencer_tables(seed, n_influencers, users_per_influencer)
        report = analyse(data["tracking_data"], data["payouts"], breakdowns=())
        truth = data["truth"]
        o = report.overall
        if o.iroas_ci_low <= truth["iroas"] <= o.iroas_ci_high:
            covered += 1
        else:
            missed.append(seed)
        widths.append(o.iroas_ci_high - o.iroas_ci_low)
        counts_ok &= report.contaminated_users == truth["contaminated_users"]
        stratified = report.stratified
        stratified_covered += stratified.iroas_ci_low <= truth["iroas"] <= stratified.iroas_ci_high
    return {
        "seeds": n_seeds,
        "covered": covered,
        "coverage": covered / n_seeds if n_seeds else float("nan"),
        "mean_interval_width": float(np.mean(widths)) if widths else float("nan"),
        "max_interval_width": float(np.max(widths)) if widths else float("nan"),
        "stratified_covered": stratified_covered,
        "missed_seeds": missed,
        "contamination_counts_match": bool(counts_ok),
    }


def read_social_pred(path: Path = SOCIAL_PRED_FILE) -> pd.DataFrame:
    """The social-prediction seed's campaign_data.csv with our column names."""
    return pd.read_csv(path).rename(columns=SOCIAL_PRED_COLUMNS)[list(SOCIAL_PRED_COLUMNS.values())]


def social_pred_benchmark(path: Path = SOCIAL_PRED_FILE) -> dict[str, Any]:
    """Our forecaster's method on the seed's data and 80/20 split (random_state=42) vs the seed's R².

    Returns ours/seed R² per target, their averages and our interval coverage on the same test rows."""
    data = read_social_pred(path)
    train, test = train_test_split(data, test_size=0.2, random_state=42)
    model = fit_forecaster(train, categorical=("campaign_type", "platform", "content_type"), targets=tuple(SEED_R2))
    scores = evaluate_forecaster(model, test)
    ours = {t: scores[t]["r2"] for t in SEED_R2}
    return {
        "test_rows": len(test),
        "ours_r2": ours,
        "ours_average": float(np.mean(list(ours.values()))),
        "seed_r2": dict(SEED_R2),
        "seed_average": float(np.mean(list(SEED_R2.values()))),
        "ours_coverage_90": {t: scores[t]["coverage_90"] for t in SEED_R2},
    }


def forecaster_group_coverage(
    seed: int = 7, rows: int = 50_000, folds: int = 5, every_nth_day: int = 1
) -> dict[str, Any]:
    """Forecaster coverage on whole held-out campaign x ad set units (GroupKFold over the units), for rows
    and for daily plan totals (each fold's held-out lines summed per day), pooled over the folds.

    Returns per target the row coverage, the lowest and highest coverage of one unit, and the share of
    fold-days whose total lies in the total's 90% interval."""
    from sklearn.model_selection import GroupKFold

    from pipeline.inputs import demo
    from pipeline.modeling import features
    from pipeline.modeling.forecast import known_categories
    from pipeline.modeling.forecast_scores import evaluate_totals

    campaigns = demo.tidy_campaigns(pd.concat(data_generation.campaign_chunks(seed, rows), ignore_index=True))
    frame = features.forecast_frame(campaigns[campaigns["date"].dt.dayofyear % every_nth_day == 0])
    inside: dict[str, list[float]] = {}
    unit_cov: dict[str, list[float]] = {}
    totals: dict[str, list[float]] = {}
    for train, test in GroupKFold(folds, shuffle=True, random_state=0).split(frame, groups=frame["unit"]):
        model = fit_forecaster(frame.iloc[train], known=known_categories(frame, features.FORECAST_CATEGORICAL))
        held = frame.iloc[test]
        for target, scores in evaluate_forecaster(model, held).items():
            inside.setdefault(target, []).append(scores["coverage_90"] * scores["rows"])
            unit_cov.setdefault(target, []).extend([scores["coverage_90_unit_min"], scores["coverage_90_unit_max"]])
        for target, scores in evaluate_totals(model, held).items():
            totals.setdefault(target, []).append(scores["coverage_90"])
    return {
        target: {
            "rows": float(np.sum(inside[target]) / len(frame)),
            "unit_min": float(np.min(unit_cov[target])),
            "unit_max": float(np.max(unit_cov[target])),
            "plan_totals": float(np.mean(totals[target])),
            "plan_totals_by_fold": [round(v, 3) for v in totals[target]],
        }
        for target in inside
    }
