"""Conformal bands: monotone bounds whatever the per-bin widths, 90% coverage per volume bin."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.modeling import intervals


def test_band_bounds_are_monotone_even_when_widths_are_not() -> None:
    band = intervals.Band(edges=np.array([1.0, 2.0]), lower=np.array([0.2, 1.5, 0.1]), upper=np.array([2.0, 0.1, 0.5]))
    z = np.linspace(-1.0, 4.0, 2001)
    low, high = band.bounds(z)
    assert (np.diff(low) >= -1e-12).all() and (np.diff(high) >= -1e-12).all()
    assert (low <= z).all() and (high >= z).all()


def test_calibrated_band_covers_90_percent_of_new_rows() -> None:
    rng = np.random.default_rng(0)
    z = rng.uniform(0, 5, 8000)
    y = z + rng.normal(0, 0.2 + 0.3 * (z < 2), z.size)  # noisier at low volume
    band = intervals.calibrate_band(z[:4000], y[:4000])
    low, high = band.bounds(z[4000:])
    inside = (y[4000:] >= low) & (y[4000:] <= high)
    assert 0.87 <= inside.mean() <= 0.93
    assert 0.85 <= inside[z[4000:] < 1].mean() <= 0.95  # per volume bin, not only on average


def correlated_lines(seed: int, days: int = 150, units: int = 30) -> dict[str, np.ndarray]:
    """Lines (3 per unit, every day) whose errors share the day's shock and the unit's own effect, each line
    with a band that covers 90% of its own errors: sums of such lines are wider than independence says."""
    rng = np.random.default_rng(seed)
    day = np.repeat(np.arange(days), units * 3)
    unit = np.tile(np.repeat(np.arange(units), 3), days)
    error = rng.normal(0, 1, days)[day] + rng.normal(0, 1, units)[unit] + rng.normal(0, 1, day.size)
    point = np.full(day.size, 100.0)
    half = 1.645 * np.sqrt(3.0)  # the 90% half-width of one line's error (variance 3)
    return {"day": day, "unit": unit, "actual": point + error, "point": point, "lo": point - half, "hi": point + half}


def plan_coverage(lines: dict[str, np.ndarray], correlation: intervals.Correlation, plans: int = 600) -> float:
    """Share of random plans (one day, a random subset of the units) whose total lies in its band."""
    rng = np.random.default_rng(1)
    n_units = lines["unit"].max() + 1
    covered = []
    for _ in range(plans):
        chosen = rng.permutation(n_units)[: rng.integers(1, n_units + 1)]
        rows = (lines["day"] == rng.integers(lines["day"].max() + 1)) & np.isin(lines["unit"], chosen)
        low, high = intervals.total_bounds(
            lines["point"][rows], lines["lo"][rows], lines["hi"][rows], correlation, lines["unit"][rows]
        )
        covered.append(low <= lines["actual"][rows].sum() <= high)
    return float(np.mean(covered))


def test_plan_totals_are_calibrated_on_correlated_lines() -> None:
    calibration, new = correlated_lines(0), correlated_lines(1)  # other days and other units
    line_inside = (new["actual"] >= new["lo"]) & (new["actual"] <= new["hi"])
    assert 0.87 <= line_inside.mean() <= 0.93  # each line's own band is right
    independent = ((0.0, 0.0), (0.0, 0.0))  # root of summed squares: what plan totals used before
    assert plan_coverage(new, independent) < 0.75
    fitted = intervals.calibrate_total(
        calibration["day"],
        calibration["unit"],
        calibration["actual"],
        calibration["point"],
        calibration["lo"],
        calibration["hi"],
    )
    assert 0.85 <= plan_coverage(new, fitted) <= 0.95
    summed = intervals.UNCALIBRATED  # the lines' bounds added up: over-covers
    assert plan_coverage(new, summed) > 0.95


def test_few_calibration_days_keep_the_summed_bounds() -> None:
    lines = correlated_lines(0, days=5)
    assert (
        intervals.calibrate_total(
            lines["day"], lines["unit"], lines["actual"], lines["point"], lines["lo"], lines["hi"]
        )
        == intervals.UNCALIBRATED
    )


def test_total_half_width_combines_lines_within_then_across_units() -> None:
    """Per unit B = sqrt(s2 + w·(s1² − s2)), then across units sqrt(ΣB² + c·((ΣB)² − ΣB²)), never below the
    lines' root of summed squares."""
    h = np.array([3.0, 4.0, 12.0])
    units = np.array(["a", "a", "b"])
    b_a = np.sqrt(25.0 + 0.5 * (49.0 - 25.0))
    expected = np.sqrt(b_a**2 + 144.0 + 0.25 * ((b_a + 12.0) ** 2 - b_a**2 - 144.0))
    assert intervals.total_half_width(h, 0.5, 0.25, units) == pytest.approx(expected)
    assert intervals.total_half_width(h, 0.0, 0.0) == pytest.approx(13.0)  # independent lines
    assert intervals.total_half_width(h, 1.0, 1.0, units) == pytest.approx(19.0)  # the summed bounds
    assert intervals.total_half_width(h, 0.0, -1.0, units) == pytest.approx(13.0)  # the floor
