"""Splitting a window's budget across channels on the media mix model's curves, in three modes.

- budget: a fixed total, maximise the posterior-mean incremental revenue (scipy SLSQP with exact gradients,
  started from the marginal-ROAS path and from the current mix; the better optimum wins);
- target-mroas: the largest spend per channel whose marginal ROAS stays ≥ the target (scipy brentq);
- target-roas: the largest budget whose plan ROAS (return on the window's own spend) stays ≥ the target,
  moving along the same marginal-ROAS path, where every channel not at a bound has the same marginal ROAS.

In budget mode a channel without its own minimum or maximum stays within ±max_shift of its current-mix spend
scaled to the budget (DEFAULT_MAX_SHIFT, Meridian's default; None lifts it), so the recommendation stays where the
curves were fitted. The target modes ask how far spend can go, so they are not held to it.

Spend per channel is searched up to its maximum, or up to CAP_DAYS_AT_PEAK × its highest day seen × the window's
days when it has none: far beyond the data, where every plan is flagged as extrapolated anyway.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq, minimize

from pipeline.modeling.mmm_plan import MAX_SPEND, WindowModel, channel_named
from pipeline.modeling.mmm_window import ChannelWindow, PlanError, recent_totals
from pipeline.modeling.plan_terms import DEFAULT_MAX_SHIFT, MODE_LABELS, MODES

__all__ = ["MODES", "MODE_LABELS", "Limit", "Optimum", "current_mix", "optimize", "parse_limits"]

CAP_DAYS_AT_PEAK = 10.0
GRID_POINTS = 120
GRID_DRAWS = 100
INTERVAL_DRAWS = 250
ROAS_SCAN_POINTS = 48
LIMIT_PATTERN = re.compile(r"^\s*(?P<channel>[^=]+?)\s*=\s*(?P<amount>[-+0-9.eE]+)\s*(?P<percent>%?)\s*$")


@dataclass(frozen=True)
class Limit:
    """A channel's minimum or maximum: an amount over the window, or a share of its current-mix spend."""

    amount: float
    share_of_current: bool = False

    def resolve(self, current: float) -> float:
        return self.amount / 100.0 * current if self.share_of_current else self.amount


def parse_limits(specs: list[str] | None) -> dict[str, Limit]:
    """CHANNEL=AMOUNT or CHANNEL=PERCENT% pairs."""
    limits = {}
    for spec in specs or []:
        match = LIMIT_PATTERN.match(spec)
        if not match:
            raise PlanError(f"{spec!r} is not CHANNEL=AMOUNT (for example Meta=5000 or Meta=80%).")
        amount = float(match["amount"])
        if not np.isfinite(amount) or amount < 0:
            raise PlanError(f"The amount in {spec!r} must be a number ≥ 0.")
        limits[match["channel"]] = Limit(amount, bool(match["percent"]))
    return limits


@dataclass(frozen=True)
class Optimum:
    totals: dict[str, float]
    mode: str
    method: str
    at_bound: dict[str, bool]
    note: str | None = None
    # Target-mROAS mode: each channel's spend at the target in each draw, as a 90% interval.
    spend_ci: dict[str, list[float]] | None = None


class ChannelCurve:
    """One channel's mean marginal ROAS against its window total, for moving along the marginal-ROAS path."""

    def __init__(self, channel: ChannelWindow, low: float, high: float, days: int) -> None:
        self.channel, self.low = channel, low
        self.cap = min(high, CAP_DAYS_AT_PEAK * max(channel.highest_daily_seen, 1.0) * days)
        self.high = high
        grid = np.geomspace(max(self.cap, 1.0) * 1e-4, max(self.cap, 1.0), GRID_POINTS)
        self.grid = np.concatenate([[0.0], grid[grid > low], [self.cap]]) if self.cap > low else np.array([low])
        self.grid = np.unique(np.clip(self.grid, low, self.cap))
        self.grid_marginal = self._marginal_on_grid()

    def _marginal_on_grid(self) -> np.ndarray:
        """Mean marginal ROAS at each grid point, on a subset of draws (only to bracket the exact root)."""
        return self.draw_marginals(GRID_DRAWS).mean(axis=0)

    def spend_at_per_draw(self, target: float) -> np.ndarray:
        """Each draw's largest total on the grid (interpolated) whose marginal ROAS is ≥ target: the spread of the
        answer across the posterior, for its interval."""
        marginal = self.draw_marginals(INTERVAL_DRAWS)
        above = marginal >= target
        last = np.where(above.any(axis=1), above.shape[1] - 1 - np.argmax(above[:, ::-1], axis=1), -1)
        inner = np.clip(last, 0, len(self.grid) - 2)
        rows = np.arange(len(marginal))
        m_left, m_right = marginal[rows, inner], marginal[rows, inner + 1]
        fraction = np.clip((m_left - target) / np.where(m_left > m_right, m_left - m_right, np.inf), 0.0, 1.0)
        spend = self.grid[inner] + fraction * (self.grid[inner + 1] - self.grid[inner])
        spend = np.where(last == len(self.grid) - 1, self.grid[-1], spend)
        return np.where(last < 0, self.low, spend)

    def draw_marginals(self, draws: int) -> np.ndarray:
        """(draws, grid points) marginal ROAS of about `draws` evenly spaced draws."""
        c = self.channel
        step = max(1, c.tail.shape[0] // draws)
        tail, unit = c.tail[::step, :, None], c.unit[::step, :, None]
        x = np.maximum(tail + unit * self.grid, 1e-9)
        s = c.slope[::step, :, None]
        xs = np.exp(s * np.log(x))
        share = xs / (xs + (c.half_saturation[::step, :, None] ** s))
        per_day = c.beta[::step, :, None] * s * share * (1.0 - share) / x * unit
        return per_day.sum(axis=1)

    def exact_marginal(self, total: float) -> float:
        return float(self.channel.marginal(total).mean())

    def spend_at(self, target: float, exact: bool = True) -> float:
        """The largest total in [low, cap] whose mean marginal ROAS is ≥ target (low when none is)."""
        above = np.flatnonzero(self.grid_marginal >= target)
        if not above.size:
            return self.low
        last = int(above[-1])
        if last == len(self.grid) - 1:
            return float(self.grid[-1])
        left, right = float(self.grid[last]), float(self.grid[last + 1])
        if not exact:
            m_left, m_right = self.grid_marginal[last], self.grid_marginal[last + 1]
            return left + (right - left) * (m_left - target) / (m_left - m_right)
        if self.exact_marginal(left) < target or self.exact_marginal(right) >= target:
            return right if self.exact_marginal(right) >= target else left
        return float(brentq(lambda t: self.exact_marginal(t) - target, left, right, xtol=1e-6 * max(right, 1.0)))


def bounds_for(
    model: WindowModel,
    minimum: dict[str, Limit],
    maximum: dict[str, Limit],
    current: dict[str, float],
    max_shift: float | None = None,
) -> dict[str, tuple[float, float]]:
    """(low, high) per channel over the window; a share limit is relative to the channel's current-mix spend.
    With `max_shift`, a side the planner left open is current × (1 ± max_shift), never crossing the other side."""
    minimum = {channel_named(model, name): limit for name, limit in minimum.items()}
    maximum = {channel_named(model, name): limit for name, limit in maximum.items()}
    bounds = {}
    for name in model.names:
        low = minimum[name].resolve(current[name]) if name in minimum else None
        high = maximum[name].resolve(current[name]) if name in maximum else None
        if low is not None and high is not None and low > high:
            raise PlanError(f"{name}'s minimum (${low:,.0f}) is above its maximum (${high:,.0f}).")
        shift_low, shift_high = _shift_range(current[name], max_shift)
        low = min(shift_low, high) if low is None and high is not None else low
        high = max(shift_high, low) if high is None and low is not None else high
        bounds[name] = (shift_low if low is None else low, shift_high if high is None else high)
    return bounds


def shift_hint(max_shift: float) -> str:
    """Why a channel the planner left open cannot go further, and how to let it."""
    return (
        f"Channels without their own limits stay within ±{max_shift:.0%} of their current-mix spend; "
        "widen that or give them limits."
    )


def _shift_range(current: float, max_shift: float | None) -> tuple[float, float]:
    if max_shift is None:
        return 0.0, float("inf")
    if not np.isfinite(max_shift) or max_shift < 0:
        raise PlanError(f"The largest move from the current mix must be a share ≥ 0 (got {max_shift!r}).")
    return current * max(0.0, 1.0 - max_shift), current * (1.0 + max_shift)


def current_mix(model: WindowModel, budget: float | None) -> dict[str, float]:
    """The last window-length of data's split, scaled to the budget (or as spent when there is no budget)."""
    recent = recent_totals(model.posterior, model.window.days)
    spent = sum(recent.values())
    if budget is None or spent <= 0:
        return recent if budget is None else {name: budget / len(recent) for name in recent}
    return {name: budget * amount / spent for name, amount in recent.items()}


def _path(curves: dict[str, ChannelCurve], target: float, exact: bool = True) -> dict[str, float]:
    return {name: curve.spend_at(target, exact) for name, curve in curves.items()}


def _highest_marginal(curves: dict[str, ChannelCurve]) -> float:
    return float(max(curve.grid_marginal.max() for curve in curves.values()))


def _at_bound(totals: dict[str, float], bounds: dict[str, tuple[float, float]]) -> dict[str, bool]:
    """Within a dollar, or 0.01% of the plan, of its minimum or maximum: a channel the optimum gives $2 of $400,000
    (a Hill slope below 1 in some draws makes the first dollars look precious) is at its minimum."""
    tolerance = max(1.0, 1e-4 * sum(totals.values()))
    return {
        name: bool(
            abs(totals[name] - low) <= tolerance or (np.isfinite(high) and abs(totals[name] - high) <= tolerance)
        )
        for name, (low, high) in bounds.items()
    }


def best_split(model: WindowModel, budget: float, bounds: dict[str, tuple[float, float]]) -> Optimum:
    names = model.names
    low = np.array([bounds[name][0] for name in names])
    high = np.array([bounds[name][1] for name in names])
    if low.sum() > budget * (1 + 1e-9):
        raise PlanError(f"The minimums add up to ${low.sum():,.0f}, more than the budget ${budget:,.0f}.")
    if high.sum() < budget * (1 - 1e-9):
        raise PlanError(f"The maximums add up to ${high.sum():,.0f}, less than the budget ${budget:,.0f}.")
    if budget <= 0:
        totals = dict.fromkeys(names, 0.0)
        return Optimum(totals, "budget", "nothing to split", _at_bound(totals, bounds))
    curves = {name: ChannelCurve(model.channels[name], *bounds[name], model.window.days) for name in names}
    scale = max(model.mean_revenue(current_mix(model, budget)), 1.0)

    def objective(shares: np.ndarray) -> tuple[float, np.ndarray]:
        totals = dict(zip(names, shares * budget, strict=True))
        revenue, marginal = model.revenue_and_marginal(totals)
        return -float(revenue.sum(axis=1).mean()) / scale, -marginal.mean(axis=0) * budget / scale

    starts = [_budget_path_start(curves, budget), current_mix(model, budget)]
    results = []
    for start in starts:
        x0 = np.clip(np.array([start[name] for name in names]), low, high) / budget
        result = minimize(
            objective,
            x0,
            jac=True,
            method="SLSQP",
            bounds=[(lo / budget, hi / budget if np.isfinite(hi) else None) for lo, hi in zip(low, high, strict=True)],
            constraints=[{"type": "eq", "fun": lambda x: x.sum() - 1.0, "jac": lambda x: np.ones_like(x)}],
            options={"ftol": 1e-10, "maxiter": 300},
        )
        results.append(result)
    best = min(results, key=lambda result: result.fun)
    shares = np.clip(best.x, low / budget, np.where(np.isfinite(high), high / budget, np.inf))
    totals = _snap_to_bounds(dict(zip(names, shares / shares.sum() * budget, strict=True)), bounds)
    method = "scipy SLSQP on the posterior-mean revenue (exact gradients), from the marginal-ROAS path and current mix"
    return Optimum(totals, "budget", method, _at_bound(totals, bounds))


def _snap_to_bounds(totals: dict[str, float], bounds: dict[str, tuple[float, float]]) -> dict[str, float]:
    """A channel the solver left a dollar off its bound sits on it; the largest free channel takes the difference."""
    near = _at_bound(totals, bounds)
    snapped = {
        name: (bounds[name][0] if abs(amount - bounds[name][0]) <= abs(amount - bounds[name][1]) else bounds[name][1])
        if near[name]
        else amount
        for name, amount in totals.items()
    }
    free = [name for name in totals if not near[name]]
    if free:
        largest = max(free, key=snapped.__getitem__)
        snapped[largest] += sum(totals.values()) - sum(snapped.values())
    return snapped


def _budget_path_start(curves: dict[str, ChannelCurve], budget: float) -> dict[str, float]:
    """The point on the marginal-ROAS path that spends about the budget (approximate: a starting point)."""
    top = _highest_marginal(curves)
    if top <= 0:
        return {name: budget / len(curves) for name in curves}

    def overspend(target: float) -> float:
        return sum(_path(curves, target, exact=False).values()) - budget

    low_target = top * 1e-6
    if overspend(low_target) < 0 or overspend(top) > 0:
        return {name: budget / len(curves) for name in curves}
    return _path(curves, brentq(overspend, low_target, top, xtol=top * 1e-6), exact=False)


def target_mroas(model: WindowModel, target: float, bounds: dict[str, tuple[float, float]]) -> Optimum:
    """Each channel up to where its marginal ROAS falls to the target: the largest budget where every extra
    dollar still returns at least `target`."""
    if not np.isfinite(target) or target <= 0:
        raise PlanError(f"The marginal ROAS target must be a number above 0 (got {target}).")
    curves = {name: ChannelCurve(model.channels[name], *bounds[name], model.window.days) for name in model.names}
    totals = _snap_to_bounds(_path(curves, target), bounds)
    note = None if any(totals[name] > bounds[name][0] for name in totals) else _none_reaches(target, "marginal ROAS")
    method = "scipy brentq per channel: the largest spend whose marginal ROAS is ≥ the target"
    spread = {name: np.quantile(curve.spend_at_per_draw(target), [0.05, 0.95]) for name, curve in curves.items()}
    spend_ci = {name: [float(low), float(high)] for name, (low, high) in spread.items()}
    return Optimum(totals, "target-mroas", method, _at_bound(totals, bounds), note, spend_ci)


def target_roas(model: WindowModel, target: float, bounds: dict[str, tuple[float, float]]) -> Optimum:
    """The largest budget on the marginal-ROAS path whose plan ROAS is still ≥ target."""
    if not np.isfinite(target) or target <= 0:
        raise PlanError(f"The ROAS target must be a number above 0 (got {target}).")
    curves = {name: ChannelCurve(model.channels[name], *bounds[name], model.window.days) for name in model.names}
    carry = model.mean_revenue({})
    floor = {name: bounds[name][0] for name in model.names}
    method = "scipy brentq along the marginal-ROAS path: the largest budget whose ROAS is ≥ the target"

    def surplus(marginal: float) -> float:
        totals = _path(curves, marginal, exact=False)
        spend = sum(totals.values())
        return (model.mean_revenue(totals) - carry) / spend - target if spend > 0 else float("-inf")

    top = _highest_marginal(curves)
    # Plan ROAS is not monotone along the path (it can rise over the first dollars of an S-shaped curve): scan from
    # the top down and take the lowest marginal ROAS, i.e. the largest budget, that still meets the target.
    scan = np.geomspace(top, top * 1e-6, ROAS_SCAN_POINTS) if top > 0 else np.array([])
    meets = [marginal for marginal in scan if surplus(marginal) >= 0]
    if not meets:
        return Optimum(floor, "target-roas", method, _at_bound(floor, bounds), _none_reaches(target, "ROAS"))
    last = min(meets)
    below = scan[scan < last]
    found = brentq(surplus, below[0], last, xtol=last * 1e-7) if below.size else last
    totals = _snap_to_bounds(_path(curves, found, exact=False), bounds)
    return Optimum(totals, "target-roas", method, _at_bound(totals, bounds))


def _none_reaches(target: float, measure: str) -> str:
    return f"No channel's {measure} reaches {target:g} at any spend: the plan spends only the minimums."


def optimize(
    model: WindowModel,
    mode: str,
    budget: float | None = None,
    target: float = 1.0,
    minimum: dict[str, Limit] | None = None,
    maximum: dict[str, Limit] | None = None,
    max_shift: float | None = DEFAULT_MAX_SHIFT,
) -> Optimum:
    if mode not in MODES:
        raise PlanError(f"Mode must be one of {', '.join(MODES)} (got {mode!r}).")
    if mode == "budget" and (budget is None or not np.isfinite(budget) or not 0 <= budget <= MAX_SPEND):
        raise PlanError(f"A budget (a number from 0 to {MAX_SPEND:,.0f}) is needed to split a fixed budget.")
    current = current_mix(model, budget if mode == "budget" else None)
    shift = max_shift if mode == "budget" else None
    bounds = bounds_for(model, minimum or {}, maximum or {}, current, shift)
    if mode == "budget":
        try:
            return best_split(model, float(budget), bounds)
        except PlanError as error:
            if shift is None:
                raise
            raise PlanError(f"{error} {shift_hint(shift)}") from error
    if mode == "target-mroas":
        return target_mroas(model, target, bounds)
    return target_roas(model, target, bounds)
