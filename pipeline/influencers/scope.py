"""The scope of an incrementality report: its validated rows, the users excluded for being in both groups, and the
payout charged to it, all judged against the whole data (the reference).

The reference is the same for every filter of one data set, so a caller that reports many filters prepares it once
(prepare_reference) and passes the Reference instead of the raw table: each filter then validates and counts only
its own rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.influencers.tracking import (
    REQUIRED_TRACKING,
    apportioned_payout,
    contaminated_user_ids,
    exposed_users_per_influencer,
    payout_per_exposed_user,
    validate_payouts,
    validate_tracking,
)

# breakdown name -> tracking column
BREAKDOWNS: dict[str, str] = {
    "influencer": "influencer_id",
    "campaign": "campaign",
    "product": "product",
    "platform": "source",
}


@dataclass(frozen=True)
class Reference:
    """The whole data's tracking, validated and cleaned once."""

    clean: pd.DataFrame  # validated, without users seen in both groups
    contaminated: np.ndarray  # sorted ids of users seen in both groups
    exposed_users: pd.Series  # clean exposed users per influencer: the payout's denominator


@dataclass(frozen=True)
class Scope:
    """The validated scope and what every comparison in it shares."""

    tracking: pd.DataFrame
    clean: pd.DataFrame  # the scope without users seen in both groups
    reference_clean: pd.DataFrame
    per_user_payout: pd.Series
    payout: float  # apportioned to the scope, plus the payouts with no exposed users to apportion to
    contaminated_in_scope: int
    unapportioned: int


def needed_columns(tracking: pd.DataFrame, breakdowns: tuple[str, ...]) -> list[str]:
    """Required columns (missing ones are left for validation to report) plus present breakdown columns."""
    wanted = [*REQUIRED_TRACKING, *(BREAKDOWNS[name] for name in breakdowns)]
    return [c for c in dict.fromkeys(wanted) if c in tracking.columns]


def reference_from_valid(validated: pd.DataFrame) -> Reference:
    """The Reference of an already validated tracking table."""
    contaminated = contaminated_user_ids(validated)
    clean = validated[~validated["user_id"].isin(contaminated)] if contaminated.size else validated
    return Reference(clean, contaminated, exposed_users_per_influencer(clean))


def prepare_reference(tracking: pd.DataFrame, breakdowns: tuple[str, ...] = tuple(BREAKDOWNS)) -> Reference:
    """The Reference of the whole tracking table, keeping the columns of `breakdowns` (whole_slices counts the
    reference's rows per slice). Raises IncrementalityInputError for an unusable table."""
    return reference_from_valid(validate_tracking(tracking[needed_columns(tracking, breakdowns)]))


def prepare_scope(
    tracking: pd.DataFrame,
    payouts: pd.DataFrame,
    reference: pd.DataFrame | Reference | None,
    breakdowns: tuple[str, ...],
    reusing: bool,
) -> Scope:
    """Validate the tables, drop users seen in both groups (found in the reference) and apportion payouts."""
    tracking = validate_tracking(tracking[needed_columns(tracking, breakdowns)])
    payouts = validate_payouts(payouts)
    if reference is None:
        reference = reference_from_valid(tracking)
    elif not isinstance(reference, Reference):
        reference = prepare_reference(reference, breakdowns if reusing else ())
    in_scope = tracking["user_id"].isin(reference.contaminated)
    contaminated_in_scope = int(pd.unique(tracking.loc[in_scope, "user_id"]).size)
    clean = tracking[~in_scope] if contaminated_in_scope else tracking
    per_user_payout = payout_per_exposed_user(payouts, reference.exposed_users)
    unapportioned = per_user_payout.isna()
    payout = float(apportioned_payout(clean, per_user_payout, ()).iloc[0])
    payout += float(payouts.groupby("influencer_id")["total_payout"].sum()[unapportioned].sum())
    return Scope(
        tracking, clean, reference.clean, per_user_payout, payout, contaminated_in_scope, int(unapportioned.sum())
    )


def whole_slices(clean: pd.DataFrame, reference_clean: pd.DataFrame, column: str) -> frozenset[object]:
    """The values of `column` whose every clean reference row is in `clean` (a subset of the reference's rows):
    those slices hold exactly the same users and revenue in the scope as in the whole data."""
    if column not in reference_clean.columns or column not in clean.columns:
        return frozenset()
    here = clean[column].value_counts()
    there = reference_clean[column].value_counts().reindex(here.index)
    return frozenset(here.index[here.to_numpy() == there.to_numpy()])
