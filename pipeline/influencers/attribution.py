"""Influencer KPIs for influencer managers. Every aggregate is a ratio of sums.

Attribution used here (not incrementality): a creator's revenue and orders are those of the
users they exposed (tracking rows with group == 1; every row counts when the table has no
group column). Attributed ROAS = Σrevenue of exposed users / Σpayout. It credits the creator
with all exposed-user revenue, including sales that would have happened anyway; the
incrementality page subtracts the control group for that. A zero payout gives NaN, never inf.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.kpis import FREQUENCIES, safe_divide
from pipeline.schemas import INFLUENCER_TYPES

# Creators paid less than this are too small a bet to rank by ROAS.
MIN_PAYOUT_FOR_RANKING = 500.0
# Below 1x a creator returns less attributed revenue than they cost.
POOR_ROAS_THRESHOLD = 1.0
PROFILE_COLUMNS = ("name", "platform", "category", "gender", "influencer_type", "follower_count")
SUMMARY_MEASURES = ("payout", "revenue", "orders", "posts", "reach", "likes", "comments", "engagement")


def exposed(tracking: pd.DataFrame) -> pd.DataFrame:
    """Tracking rows of exposed users (group == 1), or every row when there is no group column."""
    if "group" not in tracking.columns:
        return tracking
    return tracking[tracking["group"] == 1]


def _exposed_sales(
    tracking: pd.DataFrame, columns: tuple[str, ...] = ("influencer_id", "revenue", "orders")
) -> pd.DataFrame:
    """exposed() restricted to the numeric columns needed: copying the text columns of a big
    tracking table costs more than the sums themselves."""
    keep = [*columns, "group"] if "group" in tracking.columns else list(columns)
    return exposed(tracking[keep])


def add_influencer_ratios(sums: pd.DataFrame) -> pd.DataFrame:
    """ROAS = revenue/payout (x), AOV = revenue/orders (money), engagement rate =
    (likes + comments)/reach (fraction, "per reach"), CPE = payout/engagement (money),
    revenue_minus_payout = revenue − payout (money; not profit: it ignores the cost of goods). Zero denominators
    give NaN."""

    def values(name: str) -> np.ndarray:
        return sums[name].to_numpy(dtype="float64")

    ratios = {
        "roas": safe_divide(values("revenue"), values("payout")),
        "aov": safe_divide(values("revenue"), values("orders")),
        "revenue_minus_payout": values("revenue") - values("payout"),
    }
    if {"engagement", "reach"} <= set(sums.columns):
        ratios["engagement_rate"] = safe_divide(values("engagement"), values("reach"))
        ratios["cpe"] = safe_divide(values("payout"), values("engagement"))
    kept = sums.drop(columns=[name for name in ratios if name in sums.columns])
    return pd.concat([kept, pd.DataFrame(ratios, index=sums.index)], axis=1)


def influencer_summary(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per influencer in tables["influencers"]: profile, Σpayout, attributed Σrevenue and
    Σorders, post count, Σreach, Σlikes, Σcomments, engagement, and their ratios.

    An influencer without a payout row has payout 0 (so ROAS is NaN, shown "—").
    """
    influencers = tables["influencers"]
    ids = influencers["id"].to_numpy()
    sales = _exposed_sales(tables["tracking"]).groupby("influencer_id")[["revenue", "orders"]].sum()
    payout = tables["payouts"].groupby("influencer_id")["total_payout"].sum()
    posts = tables["posts"][["influencer_id", "reach", "likes", "comments"]]
    grouped = posts.groupby("influencer_id")
    content = grouped[["reach", "likes", "comments"]].sum().assign(posts=grouped.size())

    def per_influencer(values: pd.Series) -> np.ndarray:
        return values.reindex(ids).fillna(0.0).to_numpy(dtype="float64")

    profile = [column for column in PROFILE_COLUMNS if column in influencers.columns]
    columns = {"influencer_id": ids, **{column: influencers[column].to_numpy() for column in profile}}
    columns |= {"payout": per_influencer(payout), "revenue": per_influencer(sales["revenue"])}
    columns |= {"orders": per_influencer(sales["orders"])}
    columns |= {name: per_influencer(content[name]) for name in ("posts", "reach", "likes", "comments")}
    columns["engagement"] = columns["likes"] + columns["comments"]
    return add_influencer_ratios(pd.DataFrame(columns))


def key_metrics(summary: pd.DataFrame) -> dict[str, float]:
    """Σrevenue, Σpayout, Σorders, ROAS = Σrevenue/Σpayout, AOV = Σrevenue/Σorders, revenue − payout, influencers."""
    sums = summary[["revenue", "payout", "orders"]].sum().astype("float64").to_frame().T
    row = add_influencer_ratios(sums).iloc[0]
    return {**{key: float(value) for key, value in row.items()}, "influencers": float(len(summary))}


def top_by_roas(summary: pd.DataFrame, min_payout: float = MIN_PAYOUT_FOR_RANKING, limit: int = 10) -> pd.DataFrame:
    """Influencers with payout >= `min_payout` ranked by ROAS (ties: more revenue first)."""
    eligible = summary[(summary["payout"] >= min_payout) & summary["roas"].notna()]
    ranked = eligible.sort_values(["roas", "revenue"], ascending=[False, False], kind="stable")
    return ranked.head(limit).reset_index(drop=True)


def poor_roi(summary: pd.DataFrame, threshold: float = POOR_ROAS_THRESHOLD) -> pd.DataFrame:
    """Influencers with a defined ROAS below `threshold`, worst first. Zero-payout ones are not judged."""
    alerts = summary[summary["roas"].notna() & (summary["roas"] < threshold)]
    return alerts.sort_values(["roas", "payout"], ascending=[True, False], kind="stable").reset_index(drop=True)


def alert_cost(alerts: pd.DataFrame) -> dict[str, float]:
    """What the flagged influencers cost: Σpayout, Σrevenue, net loss = Σpayout − Σrevenue, and ROAS."""
    payout = float(alerts["payout"].sum())
    revenue = float(alerts["revenue"].sum())
    return {
        "influencers": float(len(alerts)),
        "payout": payout,
        "revenue": revenue,
        "net_loss": payout - revenue,
        "roas": float(safe_divide(revenue, payout)),
    }


def _grouped(summary: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    sums = summary.groupby(by, observed=True, sort=True)[list(SUMMARY_MEASURES)].sum()
    sums["influencers"] = summary.groupby(by, observed=True, sort=True).size().astype("float64")
    return add_influencer_ratios(sums.reset_index())


def persona_roas(summary: pd.DataFrame) -> pd.DataFrame:
    """ROAS = Σrevenue/Σpayout per category x gender, with the sums and the influencer count."""
    return _grouped(summary, ["category", "gender"])


def persona_matrix(personas: pd.DataFrame, metric: str = "roas") -> pd.DataFrame:
    """persona_roas as a category (rows) x gender (columns) matrix of `metric`."""
    if personas.empty:
        return pd.DataFrame(dtype="float64")
    return personas.pivot(index="category", columns="gender", values=metric)


def by_influencer_type(summary: pd.DataFrame) -> pd.DataFrame:
    """Sums and ratios per influencer type, in size order Nano, Micro, Macro, Mega (present types only)."""
    table = _grouped(summary, ["influencer_type"])
    order = {name: rank for rank, name in enumerate(INFLUENCER_TYPES)}
    ranked = table.assign(_rank=table["influencer_type"].map(order).fillna(len(order)))
    return ranked.sort_values(["_rank", "influencer_type"], kind="stable").drop(columns="_rank").reset_index(drop=True)


def engagement_by_platform(posts: pd.DataFrame) -> pd.DataFrame:
    """Per platform: posts, Σreach, Σlikes, Σcomments, engagement = likes + comments, and
    engagement rate = Σengagement/Σreach (a fraction "per reach"; NaN when reach is 0)."""
    if posts.empty:
        return pd.DataFrame(
            columns=["platform", "posts", "reach", "likes", "comments", "engagement", "engagement_rate"]
        )
    grouped = posts.groupby("platform", observed=True, sort=True)
    table = grouped[["reach", "likes", "comments"]].sum().astype("float64")
    table.insert(0, "posts", grouped.size().astype("float64"))
    table["engagement"] = table["likes"] + table["comments"]
    table["engagement_rate"] = safe_divide(table["engagement"], table["reach"])
    return table.reset_index()


def influencer_timeline(tables: dict[str, pd.DataFrame], influencer_id: int, freq: str = "week") -> pd.DataFrame:
    """Posts, attributed orders and revenue of one influencer per period ("day", "week" from Monday, "month").

    Periods run from the first to the last dated activity, with zeros where nothing happened.
    """
    if freq not in FREQUENCIES:
        raise ValueError(f"freq must be one of {sorted(FREQUENCIES)}, got {freq!r}")
    code = FREQUENCIES[freq]
    tracking = tables["tracking"]
    sales = _exposed_sales(tracking[tracking["influencer_id"] == influencer_id], ("date", "revenue", "orders"))
    posts = tables["posts"][tables["posts"]["influencer_id"] == influencer_id]
    columns = ["period", "posts", "orders", "revenue"]
    if sales.empty and posts.empty:
        return pd.DataFrame(columns=columns)
    sold = sales.groupby(sales["date"].dt.to_period(code))[["orders", "revenue"]].sum()
    posted = posts.groupby(posts["date"].dt.to_period(code)).size().rename("posts")
    periods = sold.index.union(posted.index)
    span = pd.period_range(periods.min(), periods.max(), freq=code)
    out = pd.concat([posted, sold], axis=1).reindex(span).fillna(0.0).astype("float64")
    out.index = out.index.start_time
    return out.rename_axis("period").reset_index()[columns]


def influencer_posts(posts: pd.DataFrame, influencer_id: int) -> pd.DataFrame:
    """One influencer's posts, newest first, with engagement = likes + comments and
    engagement rate = engagement / reach (NaN when reach is 0)."""
    own = posts[posts["influencer_id"] == influencer_id]
    engagement = own["likes"] + own["comments"]
    out = own.assign(engagement=engagement, engagement_rate=safe_divide(engagement, own["reach"]))
    keep = [c for c in ("date", "platform", "caption", "url", "reach", "likes", "comments") if c in out.columns]
    return out.sort_values("date", ascending=False, kind="stable")[
        [*keep, "engagement", "engagement_rate"]
    ].reset_index(drop=True)
