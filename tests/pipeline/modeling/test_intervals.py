"""Conformal bands: monotone bounds whatever the per-bin widths, 90% coverage per volume bin."""

from __future__ import annotations

import numpy as np

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
