"""The tracking and payout tables as the incrementality report reads them: validation, users per group, users
seen in both groups, payout apportioning, and the revenue distribution per group.

Payout apportioning ("payout follows exposed users"): each influencer's total_payout is spread
evenly over its clean exposed users in the reference data (all data, unless the caller passes a
narrower reference). A slice (campaign, product, platform, a filtered scope) is charged
payout_i · (its exposed users of influencer i) / (all exposed users of influencer i), summed over
influencers. So a campaign is charged the whole payouts of its influencers, a product the share of
each influencer's payout that matches that product's share of the influencer's exposed users, and
the slices of a breakdown add up to the total. An influencer with a payout but no exposed users
cannot be apportioned: its payout counts in the overall total only (with a warning).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandera.pandas as pa

from pipeline import schemas
from pipeline.kpis import safe_divide

EXPOSED, CONTROL = 1, 0
GROUP_LABELS = {EXPOSED: "Exposed", CONTROL: "Control"}
REQUIRED_TRACKING = ("user_id", "group", "revenue", "influencer_id")
REQUIRED_PAYOUTS = ("influencer_id", "total_payout")
TRACKING_SCHEMA = schemas.TRACKING.select_columns(list(REQUIRED_TRACKING))
PAYOUT_SCHEMA = schemas.PAYOUTS.select_columns(list(REQUIRED_PAYOUTS))


class IncrementalityInputError(ValueError):
    """The tracking or payout data cannot be used; the message is one sentence for people."""


# ---------------------------------------------------------------- input


# pandera check name prefix -> what it means for a person
_CHECK_WORDS = {
    "coerce_dtype": "is not a number",
    "dtype": "is not a number",
    "not_nullable": "is missing",
    "isin": "is not 0 or 1",
    "greater_than_or_equal_to": "is negative",
    "field_uniqueness": "is duplicated",
}


def _schema_message(name: str, exc: pa.errors.SchemaErrors) -> str:
    cases = exc.failure_cases
    missing = cases[cases["check"] == "column_in_dataframe"]
    if not missing.empty:
        columns = ", ".join(sorted(str(c) for c in missing["failure_case"]))
        return f"The {name} data is missing column(s): {columns}."
    first = cases.iloc[0]
    rows = int(cases.loc[cases["column"] == first["column"], "index"].nunique())
    check = str(first["check"])
    problem = next((words for key, words in _CHECK_WORDS.items() if check.startswith(key)), f"fails {check}")
    value = first["failure_case"]
    shown = repr(value) if isinstance(value, str) else str(value)
    return f"The {name} data has {rows} unusable row(s) in column {first['column']!r}: for example {shown} {problem}."


def validate_tracking(tracking: pd.DataFrame) -> pd.DataFrame:
    """Coerced copy of the tracking table; IncrementalityInputError with one sentence if unusable."""
    try:
        return TRACKING_SCHEMA.validate(tracking, lazy=True)
    except pa.errors.SchemaErrors as exc:
        raise IncrementalityInputError(_schema_message("tracking", exc)) from None


def validate_payouts(payouts: pd.DataFrame) -> pd.DataFrame:
    """Coerced copy of the payouts table; IncrementalityInputError with one sentence if unusable."""
    try:
        return PAYOUT_SCHEMA.validate(payouts, lazy=True)
    except pa.errors.SchemaErrors as exc:
        raise IncrementalityInputError(_schema_message("payouts", exc)) from None


def contaminated_user_ids(tracking: pd.DataFrame) -> np.ndarray:
    """Sorted user ids that appear in both the exposed and the control group."""
    groups = tracking["group"].to_numpy()
    users = tracking["user_id"].to_numpy()
    exposed = users[groups == EXPOSED]
    # isin uses a lookup table for compact integer ids: ~20x faster than intersect1d on 1M rows.
    return np.unique(exposed[np.isin(exposed, users[groups == CONTROL])])


def user_revenue(tracking: pd.DataFrame, by: tuple[str, ...] = ()) -> pd.DataFrame:
    """One row per (by..., group, user_id) with the user's summed revenue in that slice.

    Rows come in order of first appearance (deterministic, and faster than sorting).
    """
    keys = [*by, "group", "user_id"]
    return tracking.groupby(keys, observed=True, sort=False)["revenue"].sum().reset_index()


# ---------------------------------------------------------------- payouts


def _exposed_counts(clean: pd.DataFrame, by: tuple[str, ...]) -> pd.Series:
    """Distinct exposed users per (by..., influencer_id)."""
    keys = list(dict.fromkeys([*by, "influencer_id"]))  # by may itself be influencer_id
    exposed = clean.loc[clean["group"] == EXPOSED, [*keys, "user_id"]].drop_duplicates()
    return exposed.groupby(keys, observed=True).size()


def exposed_users_per_influencer(clean: pd.DataFrame) -> pd.Series:
    """Distinct exposed users per influencer (index: influencer_id): the denominator of payout_per_exposed_user."""
    return _exposed_counts(clean, ())


def payout_per_exposed_user(payouts: pd.DataFrame, exposed_users: pd.Series) -> pd.Series:
    """Each influencer's payout divided by its clean exposed users in the reference (`exposed_users`, from
    exposed_users_per_influencer of the clean reference; index: influencer_id)."""
    per_influencer = payouts.groupby("influencer_id")["total_payout"].sum()
    users = exposed_users
    return pd.Series(safe_divide(per_influencer, users.reindex(per_influencer.index)), index=per_influencer.index)


def apportioned_payout(clean: pd.DataFrame, per_user: pd.Series, by: tuple[str, ...]) -> pd.Series:
    """Payout charged to each slice: Σ over influencers of (slice's exposed users of i) · payout_i / users_i."""
    counts = _exposed_counts(clean, by)
    rates = per_user.reindex(counts.index.get_level_values("influencer_id")).fillna(0.0).to_numpy()
    charged = pd.Series(counts.to_numpy() * rates, index=counts.index)
    if not by:
        return pd.Series([charged.sum()])
    return charged.groupby(level=list(range(len(by))), observed=True).sum()


# ---------------------------------------------------------------- distribution


def buyer_summary(users: pd.DataFrame) -> pd.DataFrame:
    """Per group: users, buyers (revenue > 0), buyer share, revenue per user and per buyer."""
    rows = []
    for group in (EXPOSED, CONTROL):
        revenue = users.loc[users["group"] == group, "revenue"].to_numpy()
        buyers = int((revenue > 0).sum())
        rows.append(
            {
                "group": GROUP_LABELS[group],
                "users": int(revenue.size),
                "buyers": buyers,
                "buyer_share": float(safe_divide(buyers, revenue.size)),
                "revenue_per_user": float(safe_divide(revenue.sum(), revenue.size)),
                "revenue_per_buyer": float(safe_divide(revenue[revenue > 0].sum(), buyers)),
            }
        )
    return pd.DataFrame(rows)


def buyers_note(buyers: pd.DataFrame) -> str:
    """What buyer_summary says about who bought, for a chart title: "most users buy nothing" only when that holds
    in every group, else each group's buyer share ("100% of exposed and 100% of control users bought"); "" when
    there is no summary (per-user rows missing)."""
    if buyers.empty or not buyers["buyer_share"].notna().all():
        return ""
    if (buyers["buyer_share"] < 0.5).all():
        return "most users buy nothing"
    shares = " and ".join(
        f"{share:.0%} of {str(group).lower()}"
        for group, share in zip(buyers["group"], buyers["buyer_share"], strict=True)
    )
    return f"{shares} users bought"


def buyer_revenue_histogram(users: pd.DataFrame, bins: int = 30, upper_quantile: float = 0.99) -> pd.DataFrame:
    """Revenue per buyer binned on shared edges from the lowest to the `upper_quantile`; the top bin holds the tail.

    Columns: group, bin_low, bin_high, buyers, share_of_buyers (within its group).
    """
    buyers = users[users["revenue"] > 0]
    columns = ["group", "bin_low", "bin_high", "buyers", "share_of_buyers"]
    if buyers.empty:
        return pd.DataFrame(columns=columns)
    top = float(np.quantile(buyers["revenue"], upper_quantile))
    top = top if top > 0 else float(buyers["revenue"].max())
    edges = np.linspace(min(float(buyers["revenue"].min()), top), top, bins + 1)
    frames = []
    for group in (EXPOSED, CONTROL):
        revenue = np.minimum(buyers.loc[buyers["group"] == group, "revenue"].to_numpy(), top)
        counts, _ = np.histogram(revenue, edges)
        frames.append(
            pd.DataFrame(
                {
                    "group": GROUP_LABELS[group],
                    "bin_low": edges[:-1],
                    "bin_high": edges[1:],
                    "buyers": counts,
                    "share_of_buyers": counts / counts.sum() if counts.sum() else np.full(bins, np.nan),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)
