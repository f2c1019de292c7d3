"""How often the forecaster's 90% interval of a daily plan total covers the actual total, per seed and target.

    python -m bench.plan_totals_study [--seeds 42 7 11] [--rows 50000] [--every-nth-day 1] [--splits 6]

For each seed the generator's campaign table is split as `train` splits it (forecast_training.holdout_folds:
campaign x ad set units held out whole, GroupKFold(3)), each fold's model is fitted on the other units (its
totals calibrated on its own training units only) and every held-out line of a day is summed
(forecast_scores.evaluate_totals). A fold's held-out units carry one draw of the errors they share on every
day (their own effects and the fold model's bias on them), so one fold's coverage is essentially one draw and
`train`'s pooled figure rests on three. The study therefore repeats the split with `--splits` shuffles
(random_state RANDOM_STATE, RANDOM_STATE + 1, ...) and reports per target the mean coverage over all held-out
fold-days, its spread over the folds (standard deviation, min-max), the standard error of that mean
(folds of one split are dependent, so the spread of the split means), the coverage of plans of a random
subset (1 to all) of one fold's held-out units (the kind of plan the totals are calibrated on) and the lines'
own coverage.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

import data_generation
from pipeline.inputs import demo
from pipeline.modeling import features, forecast_training
from pipeline.modeling.forecast import RANDOM_STATE, Forecaster, fit_forecaster, known_categories
from pipeline.modeling.forecast_scores import total_interval

SEEDS = (42, 7, 11)
ROWS = 50_000
SPLITS = 6
SUBSET_SEED = 0
LOW, HIGH = 0.85, 0.95  # a 90% interval should cover 85-95% of held-out totals


@dataclass
class TargetDraws:
    """One target's results over every held-out fold of every split."""

    all_units: list[float] = field(default_factory=list)  # per fold: share of days whose total is covered
    subsets: list[float] = field(default_factory=list)  # per fold: the same for random subsets of its units
    lines: list[float] = field(default_factory=list)  # per fold: the lines' own coverage
    split_of: list[int] = field(default_factory=list)
    lines_per_day: list[float] = field(default_factory=list)

    def summary(self) -> dict[str, float]:
        folds = np.array(self.all_units)
        split_means = pd.Series(folds).groupby(self.split_of).mean()
        return {
            "mean": float(folds.mean()),
            "first_split": float(folds[np.array(self.split_of) == 0].mean()),
            "sd": float(folds.std(ddof=1)) if len(folds) > 1 else float("nan"),
            "min": float(folds.min()),
            "max": float(folds.max()),
            "se": float(split_means.std(ddof=1) / np.sqrt(len(split_means))) if len(split_means) > 1 else float("nan"),
            "subsets": float(np.mean(self.subsets)),
            "lines": float(np.mean(self.lines)),
            "lines_per_day": float(np.mean(self.lines_per_day)),
        }


def seed_frame(seed: int, rows: int = ROWS, every_nth_day: int = 1) -> pd.DataFrame:
    """The forecaster's training frame from the generator's campaign table (every n-th day of the year)."""
    campaigns = demo.tidy_campaigns(pd.concat(data_generation.campaign_chunks(seed, rows), ignore_index=True))
    return features.forecast_frame(campaigns[campaigns["date"].dt.day_of_year % every_nth_day == 0])


def total_covered(model: Forecaster, target: str, lines: pd.DataFrame, held: pd.DataFrame, rows: np.ndarray) -> bool:
    """Whether the interval of the total of `rows` (positions in `lines`/`held`) covers their actual total."""
    low, high = total_interval(model, target, lines.iloc[rows], held["unit"].to_numpy()[rows])
    return bool(low <= held[target].to_numpy(dtype="float64")[rows].sum() <= high)


def fold_coverage(
    model: Forecaster, held: pd.DataFrame, rng: np.random.Generator
) -> dict[str, tuple[float, float, float]]:
    """Per target: (days whose total over all held-out units is covered, the same for a random subset of
    the units each day, the lines' coverage)."""
    predicted = model.predict(held).reset_index(drop=True)
    frame = held[["date", "unit", *model.targets]].reset_index(drop=True)
    units = frame["unit"].unique()
    days = list(frame.groupby("date", sort=False).indices.values())
    subsets = [
        rows[np.isin(frame["unit"].to_numpy()[rows], rng.permutation(units)[: rng.integers(1, len(units) + 1)])]
        for rows in days
    ]
    out = {}
    for target in model.targets:
        lines = predicted[[target, f"{target}_lo", f"{target}_hi"]]
        actual = frame[target].to_numpy(dtype="float64")
        inside = (actual >= lines[f"{target}_lo"].to_numpy()) & (actual <= lines[f"{target}_hi"].to_numpy())
        out[target] = (
            float(np.mean([total_covered(model, target, lines, frame, rows) for rows in days])),
            float(np.mean([total_covered(model, target, lines, frame, rows) for rows in subsets])),
            float(inside.mean()),
        )
    return out


def seed_study(data: pd.DataFrame, splits: int = SPLITS) -> dict[str, TargetDraws]:
    """Per target, the coverage of every held-out fold over `splits` shuffles of holdout_folds."""
    known = known_categories(data, features.FORECAST_CATEGORICAL)
    draws: dict[str, TargetDraws] = {}
    rng = np.random.default_rng(SUBSET_SEED)
    for split in range(splits):
        for train, test in forecast_training.holdout_folds(data, random_state=RANDOM_STATE + split):
            model = fit_forecaster(data.iloc[train], known=known)
            held = data.iloc[test]
            per_day = len(held) / held["date"].nunique()
            for target, (all_units, subsets, lines) in fold_coverage(model, held, rng).items():
                row = draws.setdefault(target, TargetDraws())
                row.all_units.append(all_units)
                row.subsets.append(subsets)
                row.lines.append(lines)
                row.split_of.append(split)
                row.lines_per_day.append(per_day)
    return draws


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS))
    parser.add_argument("--rows", type=int, default=ROWS)
    parser.add_argument("--every-nth-day", type=int, default=1)
    parser.add_argument("--splits", type=int, default=SPLITS)
    args = parser.parse_args(argv)
    inside = 0
    cells = 0
    folds: dict[str, list[float]] = {}
    for seed in args.seeds:
        started = time.perf_counter()
        study = seed_study(seed_frame(seed, args.rows, args.every_nth_day), args.splits)
        seconds = time.perf_counter() - started
        print(f"seed {seed} ({seconds:.0f} s, {args.splits} splits x 3 folds)")
        for target, draws in study.items():
            folds.setdefault(target, []).extend(draws.all_units)
            row = draws.summary()
            ok = LOW <= row["mean"] <= HIGH
            inside += ok
            cells += 1
            print(
                f"  {target:<12} plan totals mean {row['mean']:.3f} ± {row['se']:.3f} {'in' if ok else 'OUT'}  "
                f"folds sd {row['sd']:.3f} [{row['min']:.3f}-{row['max']:.3f}]  "
                f"first split {row['first_split']:.3f}  random subsets {row['subsets']:.3f}  lines {row['lines']:.3f}  "
                f"({row['lines_per_day']:.1f} lines a day)",
                flush=True,
            )
    print(f"{inside} of {cells} seed x target mean plan-total coverages in {LOW}-{HIGH}")
    every = np.concatenate([np.array(v) for v in folds.values()])
    per_target = "  ".join(f"{t} {np.mean(v):.3f}" for t, v in folds.items())
    print(f"mean over every fold: {every.mean():.3f} ({per_target}); folds under 0.5: {np.mean(every < 0.5):.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
