"""Split-conformal 90% prediction bands for the forecaster, on the log1p scale and monotone in the point forecast.

Each target's band is calibrated on rows its point model never saw: per bin of predicted volume
(Mondrian conformal, so low-volume lines get wider bands), the lower bound is placed so that at
most 5% of calibration rows fall below it, then the upper bound so that 90% are covered. Calibrating
the total (rather than 5% per side) matters for zero-inflated targets (conversions, revenue): when
the lower bound is 0 every zero is covered, and a per-side rule would over-cover.

Both bounds are non-decreasing functions of the point forecast, so a point forecast that is
monotonic in spend gives an interval that is monotonic in spend too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

COVERAGE = 0.90
LOWER_QUANTILE = (1 - COVERAGE) / 2
UPPER_QUANTILE = 1 - LOWER_QUANTILE
# Volume bins for the band: each needs enough rows for a stable 90% quantile.
MAX_BINS = 5
MIN_BIN_ROWS = 400


@dataclass
class Band:
    """A conformal 90% band on the log scale, as a non-decreasing function of z = log1p(point).

    Calibration rows are split into bins of z (Mondrian conformal: low-volume rows get their own,
    wider band). In bin b the band is [z − lower[b], z + upper[b]]; `floor`/`cap` then make both
    bounds non-decreasing in z across bin edges (they only ever widen the band)."""

    edges: np.ndarray  # inner bin edges on z, ascending
    lower: np.ndarray  # per bin
    upper: np.ndarray  # per bin

    def bin_of(self, z: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.edges, z, side="right")

    def low(self, z: np.ndarray) -> np.ndarray:
        """Lower bound (log scale): z − lower[bin], lowered to the lowest bound of any later bin."""
        floors = np.minimum.accumulate(np.concatenate([self.edges - self.lower[1:], [np.inf]])[::-1])[::-1]
        b = self.bin_of(z)
        return np.minimum(z - self.lower[b], floors[b])

    def high(self, z: np.ndarray) -> np.ndarray:
        """Upper bound (log scale): z + upper[bin], raised to the highest bound of any earlier bin."""
        caps = np.maximum.accumulate(np.concatenate([[-np.inf], self.edges + self.upper[:-1]]))
        b = self.bin_of(z)
        return np.maximum(z + self.upper[b], caps[b])

    def bounds(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(low, high) on the log scale for each z; both non-decreasing in z."""
        return self.low(z), self.high(z)


def _conformal_level(n: int, level: float) -> float:
    """The split-conformal quantile level ceil((n+1)·level)/n, capped at 1."""
    return min(1.0, float(np.ceil((n + 1) * level)) / n)


def _conformal_quantile(scores: np.ndarray, level: float) -> float:
    """The split-conformal quantile of `scores`; the largest finite score when the level needs more rows."""
    if len(scores) == 0:
        return 0.0
    value = float(np.quantile(scores, _conformal_level(len(scores), level), method="higher"))
    return value if np.isfinite(value) else float(np.max(scores[np.isfinite(scores)], initial=0.0))


def calibrate_band(z: np.ndarray, y_log: np.ndarray) -> Band:
    """Split-conformal band per bin of z (equal-count bins of at least MIN_BIN_ROWS rows).

    First the lower widths (at most 5% of each bin's rows below) and their monotone repair; then, given
    those final lower bounds, the upper widths so that 90% of each bin's rows are covered."""
    n_bins = int(np.clip(len(z) // MIN_BIN_ROWS, 1, MAX_BINS))
    edges = np.unique(np.quantile(z, np.linspace(0, 1, n_bins + 1)[1:-1])) if n_bins > 1 else np.empty(0)
    band = Band(edges=edges, lower=np.zeros(len(edges) + 1), upper=np.zeros(len(edges) + 1))
    bins = band.bin_of(z)
    for b in range(len(band.lower)):
        band.lower[b] = _conformal_quantile(z[bins == b] - y_log[bins == b], 1 - LOWER_QUANTILE)
    below = y_log < band.low(z)
    over = np.where(below, np.inf, y_log - z)
    for b in range(len(band.upper)):
        band.upper[b] = _conformal_quantile(over[bins == b], COVERAGE)
    return band
