"""One story from attributed to incremental: the Influencers page's attributed ROAS next to the experiment's iROAS.

Attributed (pipeline.influencers.attribution): every sale of an influencer's exposed users, so attributed ROAS =
Σrevenue of exposed users / Σpayout. Incremental (pipeline.influencers.incrementality): only what the exposed
users bought beyond the control group, iROAS = (r1 − r0)·n1 / payout, with a bootstrap interval.

    incremental share = incremental revenue / attributed revenue     the part of the credited sales the
                                                                     influencer caused; NaN when nothing was
                                                                     attributed; negative when the exposed
                                                                     users bought less than the control.

Poor-ROI alerts judge each influencer on one measure: "iroas", "attributed", or "auto" (iROAS where the influencer
has an experiment, i.e. both exposed and control users and a defined iROAS; attributed ROAS otherwise). An alert on
iROAS says how sure it is: whether the whole interval lies below the threshold, or only the point estimate does (a
single influencer's experiment is small, so many intervals reach the threshold); attributed ROAS has no interval.
Attributed revenue counts users later excluded from the experiment for sitting in both groups; the experiment
does not, so the share can sit slightly below what a clean comparison would give.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from pipeline.influencers.guardrails import FAIL, Guardrail
from pipeline.kpis import safe_divide
from pipeline.text import MISSING, display_decimals, joined, money, undefined

AUTO, IROAS, ATTRIBUTED = "auto", "iroas", "attributed"
ALERT_MEASURES = (AUTO, IROAS, ATTRIBUTED)
MEASURE_NAMES = {IROAS: "iROAS", ATTRIBUTED: "attributed ROAS"}
# How sure an alert is (the `evidence` column of poor_roi; short, to fit a table cell): the whole iROAS interval
# below the threshold, the interval reaching it, or attributed ROAS, which has no interval.
WHOLE_INTERVAL_BELOW = "clearly below"
INTERVAL_REACHES = "uncertain"
NO_INTERVAL = "no interval"
# Alerts list the surest first: the experiment's whole interval below; then attributed ROAS below, which usually
# overstates what was caused, so the true return is likely lower still; then the iROAS alerts it cannot settle.
EVIDENCE_ORDER = (WHOLE_INTERVAL_BELOW, NO_INTERVAL, INTERVAL_REACHES)
EXPERIMENT_COLUMNS = ("incremental_revenue", "iroas", "iroas_ci_low", "iroas_ci_high", "p_value")
STORY_COLUMNS = (
    "influencer_id",
    "name",
    "platform",
    "payout",
    "revenue",
    "roas",
    *EXPERIMENT_COLUMNS,
    "incremental_share",
    "has_experiment",
)


def incremental_share(incremental_revenue: float, attributed_revenue: float) -> float:
    """incremental revenue / attributed revenue (a fraction); NaN when nothing was attributed."""
    return float(safe_divide(incremental_revenue, attributed_revenue))


def attributed_vs_incremental(summary: pd.DataFrame, by_influencer: pd.DataFrame | None) -> pd.DataFrame:
    """One row per influencer of `summary` (attribution.influencer_summary): payout, attributed revenue and ROAS,
    and from `by_influencer` (the incrementality report's "influencer" breakdown, None without an experiment)
    incremental revenue, iROAS with its interval and p-value, the incremental share and whether the influencer
    has an experiment. Influencers missing from the breakdown have NaN experiment columns."""
    base = summary[[c for c in ("influencer_id", "name", "platform", "payout", "revenue", "roas") if c in summary]]
    if by_influencer is None or by_influencer.empty:
        experiment = pd.DataFrame(columns=["influencer_id", *EXPERIMENT_COLUMNS, "control_users"])
    else:
        experiment = by_influencer[["influencer_id", *EXPERIMENT_COLUMNS, "control_users", "exposed_users"]]
    merged = base.merge(experiment, on="influencer_id", how="left")
    for column in EXPERIMENT_COLUMNS:
        merged[column] = pd.to_numeric(merged[column], errors="coerce").astype("float64")
    merged["incremental_share"] = safe_divide(
        merged["incremental_revenue"].to_numpy(), merged["revenue"].to_numpy(dtype="float64")
    )
    controls = pd.to_numeric(merged["control_users"], errors="coerce").fillna(0).to_numpy()
    merged["has_experiment"] = (controls > 0) & np.isfinite(merged["iroas"].to_numpy())
    return merged[[c for c in STORY_COLUMNS if c in merged.columns]].reset_index(drop=True)


def judge(story: pd.DataFrame, measure: str = AUTO) -> pd.DataFrame:
    """`story` with `judged_on` ("iROAS" or "attributed ROAS") and `judged_value` per influencer, by `measure`:
    "iroas", "attributed", or "auto" (iROAS where the influencer has an experiment, attributed ROAS otherwise)."""
    if measure not in ALERT_MEASURES:
        raise ValueError(f"measure must be one of {ALERT_MEASURES}, got {measure!r}")
    if measure == AUTO:
        use_iroas = story["has_experiment"].to_numpy(dtype=bool)
    else:
        use_iroas = np.full(len(story), measure == IROAS)
    values = np.where(use_iroas, story["iroas"].to_numpy(dtype="float64"), story["roas"].to_numpy(dtype="float64"))
    names = np.where(use_iroas, MEASURE_NAMES[IROAS], MEASURE_NAMES[ATTRIBUTED])
    return story.assign(judged_on=names, judged_value=values)


def poor_roi(story: pd.DataFrame, threshold: float, measure: str = AUTO) -> pd.DataFrame:
    """Influencers whose judged measure (judge) is defined and below `threshold`, the surest first (EVIDENCE_ORDER),
    then worst first and the biggest payout. An influencer with no defined value on its measure (zero payout, no
    experiment) is not judged."""
    judged = judge(story, measure)
    value = judged["judged_value"]
    alerts = judged[value.notna() & (value < threshold)]
    alerts = alerts.assign(evidence=alert_evidence(alerts, threshold))
    alerts = alerts.assign(_sureness=alerts["evidence"].map(EVIDENCE_ORDER.index))
    ordered = alerts.sort_values(["_sureness", "judged_value", "payout"], ascending=[True, True, False], kind="stable")
    return ordered.drop(columns="_sureness").reset_index(drop=True)


def alert_evidence(judged: pd.DataFrame, threshold: float) -> np.ndarray:
    """Per judged influencer: WHOLE_INTERVAL_BELOW when judged on iROAS and its interval's upper end is below
    `threshold` (the experiment says so), INTERVAL_REACHES when the interval reaches it or is undefined (the
    influencer could be at or above it), NO_INTERVAL when judged on attributed ROAS."""
    on_iroas = (judged["judged_on"] == MEASURE_NAMES[IROAS]).to_numpy()
    below = (judged["iroas_ci_high"].to_numpy(dtype="float64") < threshold) & on_iroas  # NaN compares False
    return np.where(below, WHOLE_INTERVAL_BELOW, np.where(on_iroas, INTERVAL_REACHES, NO_INTERVAL))


def alert_totals(alerts: pd.DataFrame) -> dict[str, float]:
    """What the flagged influencers cost and brought: count, Σpayout, attributed Σrevenue, Σincremental revenue
    (over those with an experiment), how many were judged on each measure, and how many have their whole iROAS
    interval below the threshold."""
    tested = alerts["has_experiment"].to_numpy(dtype=bool)
    on_iroas = (alerts["judged_on"] == MEASURE_NAMES[IROAS]).to_numpy() if "judged_on" in alerts else tested
    return {
        "influencers": float(len(alerts)),
        "payout": float(alerts["payout"].sum()),
        "revenue": float(alerts["revenue"].sum()),
        "incremental_revenue": float(alerts.loc[tested, "incremental_revenue"].sum()) if tested.any() else math.nan,
        "on_iroas": float(on_iroas.sum()),
        "on_attributed": float(len(alerts) - on_iroas.sum()),
        "whole_interval_below": float((alerts["evidence"] == WHOLE_INTERVAL_BELOW).sum()),
    }


def evidence_sentence(totals: Mapping[str, float], threshold: float, confidence: float) -> str:
    """How many iROAS alerts the experiment backs, for under the alert count: "" without alerts judged on iROAS."""
    on_iroas, sure = int(totals["on_iroas"]), int(totals["whole_interval_below"])
    if on_iroas == 0:
        return ""
    level, limit = _level(confidence), _times(threshold)
    has = "has its" if sure == 1 else "have their"
    sentence = f"Judged on iROAS, {sure} of {on_iroas} {has} whole {level} interval below {limit}"
    if sure == on_iroas:
        return sentence + "."
    return (
        f"{sentence}; for the other {on_iroas - sure} the interval reaches {limit}, so the experiment cannot tell "
        f"them from {limit} or more: check those before dropping anyone."
    )


def measure_sentence(story: pd.DataFrame, measure: str, failed: Sequence[str] = ()) -> str:
    """Which measure the alerts use, in words, counting the influencers judged on each. `failed`: the checks the
    experiment failed (failed_checks), which is then why no influencer is judged on iROAS."""
    judged = judge(story, measure)
    on_iroas = int((judged["judged_on"] == MEASURE_NAMES[IROAS]).sum())
    on_attributed = len(judged) - on_iroas
    no_experiment = (
        "the experiment fails its checks, so no influencer is judged on iROAS"
        if failed
        else "no influencer in this selection has an experiment with a control group"
    )
    if measure == IROAS:
        if failed:
            return f"Judged on iROAS, but {no_experiment}."
        return f"Judged on iROAS (incremental: what the control group says the influencer caused); {_untested(story)}"
    if measure == ATTRIBUTED:
        return "Judged on attributed ROAS (every sale by exposed users, including sales that would have happened)."
    if on_attributed == 0:
        return f"Judged on iROAS: all {on_iroas} influencer(s) have an experiment with a control group."
    if on_iroas == 0:
        return f"Judged on attributed ROAS: {no_experiment}."
    return (
        f"Judged on iROAS for the {on_iroas} influencer(s) with an experiment and on attributed ROAS for the "
        f"{on_attributed} without one."
    )


def _untested(story: pd.DataFrame) -> str:
    untested = int((~story["has_experiment"].to_numpy(dtype=bool)).sum())
    if untested == 0:
        return "every influencer has an experiment."
    return f"{untested} influencer(s) without an experiment are not judged."


def headline(key_metrics: Mapping[str, float], comparison: object | None) -> dict[str, float]:
    """The selection's story in numbers: attributed revenue and ROAS (attribution.key_metrics), and from the
    experiment's overall GroupComparison (None without one) iROAS, its interval and confidence, incremental
    revenue and the incremental share of attributed revenue."""
    nan = math.nan
    out = {
        "attributed_revenue": float(key_metrics["revenue"]),
        "payout": float(key_metrics["payout"]),
        "attributed_roas": float(key_metrics["roas"]),
        "iroas": nan,
        "iroas_ci_low": nan,
        "iroas_ci_high": nan,
        "confidence": nan,
        "incremental_revenue": nan,
        "incremental_share": nan,
    }
    if comparison is None or getattr(comparison, "problem", None):
        return out
    incremental = float(comparison.incremental_revenue)
    return out | {
        "iroas": float(comparison.iroas),
        "iroas_ci_low": float(comparison.iroas_ci_low),
        "iroas_ci_high": float(comparison.iroas_ci_high),
        "confidence": float(comparison.confidence),
        "incremental_revenue": incremental,
        "incremental_share": incremental_share(incremental, out["attributed_revenue"]),
    }


def story_sentence(numbers: Mapping[str, float]) -> str:
    """The link between the two pages in one or two sentences."""
    roas = _times(numbers["attributed_roas"])
    if undefined(numbers["iroas"]) and undefined(numbers["incremental_revenue"]):
        return (
            f"Attributed ROAS {roas} counts every sale by the users an influencer exposed. This selection has no "
            "experiment with a control group, so what the influencers caused (iROAS) cannot be measured."
        )
    share = numbers["incremental_share"]
    share_text = MISSING if undefined(share) else f"{100 * share:.0f}%"
    return (
        f"Attributed ROAS {roas} counts every sale by the users an influencer exposed; the experiment's control group "
        f"says {money(numbers['incremental_revenue'])} of the {money(numbers['attributed_revenue'])} attributed "
        f"({share_text}) was caused by the influencers: iROAS {_times(numbers['iroas'])} "
        f"({_level(numbers['confidence'])} interval {_times(numbers['iroas_ci_low'])} – "
        f"{_times(numbers['iroas_ci_high'])})."
    )


BLOCKED_TABLE_NOTE = (
    "The checks above failed, so the incremental figures below do not show what the influencers caused; they are "
    "shown to help find what is wrong with the data."
)


def failed_checks(guardrails: Iterable[Guardrail]) -> tuple[str, ...]:
    """The names of the checks the exposed-vs-control data failed (pipeline.influencers.guardrails): with any, it
    cannot show what the influencers caused, so no iROAS figure may stand as causal."""
    return tuple(g.name for g in guardrails if g.status == FAIL)


def blocked_sentence(attributed_roas: float, failed: Sequence[str]) -> str:
    """The story sentence when the experiment failed its checks: attributed ROAS only, and why."""
    return (
        f"Attributed ROAS {_times(attributed_roas)} counts every sale by the users an influencer exposed. The "
        f"exposed-vs-control data fails its checks ({joined(failed).lower()}), so it cannot show what the influencers "
        "caused: iROAS is not shown here and the alerts use attributed ROAS. Details on the Incrementality page."
    )


def _times(value: float) -> str:
    """2.27x, or 0.0079x for small values (never "0.01x")."""
    return MISSING if undefined(value) else f"{value:,.{display_decimals(value)}f}x"


def _level(confidence: float) -> str:
    return "" if undefined(confidence) else f"{confidence:.0%}"
