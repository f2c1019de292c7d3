"""Canonical tables: closed vocabularies and one pandera schema per table kind."""

from __future__ import annotations

import pandera.pandas as pa

PLATFORMS = ("Meta", "TikTok", "Instagram", "Google Ads")
DEVICES = ("Mobile", "Desktop", "Tablet")
INFLUENCER_TYPES = ("Nano", "Micro", "Macro", "Mega")
GENDERS = ("Female", "Male")
PAYOUT_BASES = ("post", "order")

# Additive measures of a campaign table: every KPI is a ratio of two of these sums.
CAMPAIGN_MEASURES = (
    "spend",
    "impressions",
    "reach",
    "clicks",
    "conversions",
    "revenue",
    "engagement",
)
CAMPAIGN_DIMENSIONS = (
    "date",
    "platform",
    "campaign",
    "ad_set",
    "campaign_type",
    "content_type",
    "device",
)

_non_negative = pa.Check.ge(0)

CAMPAIGNS = pa.DataFrameSchema(
    {
        "date": pa.Column("datetime64[ns]", nullable=False, coerce=True),
        "platform": pa.Column(str, nullable=False),
        "campaign": pa.Column(str, nullable=False),
        "spend": pa.Column(float, _non_negative, coerce=True),
        "impressions": pa.Column(float, _non_negative, coerce=True),
        "clicks": pa.Column(float, _non_negative, coerce=True),
        "conversions": pa.Column(float, _non_negative, coerce=True),
        "revenue": pa.Column(float, _non_negative, coerce=True),
    },
    checks=[
        pa.Check(lambda f: f["clicks"] <= f["impressions"], name="clicks_le_impressions"),
    ],
    strict=False,
    name="campaigns",
)

INFLUENCERS = pa.DataFrameSchema(
    {
        "id": pa.Column(int, coerce=True, unique=True),
        "name": pa.Column(str),
        "platform": pa.Column(str),
        "category": pa.Column(str),
        "gender": pa.Column(str),
        "influencer_type": pa.Column(str, pa.Check.isin(INFLUENCER_TYPES)),
        "follower_count": pa.Column(int, _non_negative, coerce=True),
    },
    strict=False,
    name="influencers",
)

POSTS = pa.DataFrameSchema(
    {
        "influencer_id": pa.Column(int, coerce=True),
        "platform": pa.Column(str),
        "date": pa.Column("datetime64[ns]", coerce=True),
        "url": pa.Column(str, nullable=True),
        "caption": pa.Column(str, nullable=True),
        "reach": pa.Column(float, _non_negative, coerce=True),
        "likes": pa.Column(float, _non_negative, coerce=True),
        "comments": pa.Column(float, _non_negative, coerce=True),
    },
    strict=False,
    name="posts",
)

TRACKING = pa.DataFrameSchema(
    {
        "source": pa.Column(str),
        "campaign": pa.Column(str),
        "influencer_id": pa.Column(int, coerce=True),
        "user_id": pa.Column(int, coerce=True),
        "product": pa.Column(str),
        "date": pa.Column("datetime64[ns]", coerce=True),
        "orders": pa.Column(float, _non_negative, coerce=True),
        "revenue": pa.Column(float, _non_negative, coerce=True),
        "group": pa.Column(int, pa.Check.isin([0, 1]), coerce=True),
    },
    strict=False,
    name="tracking",
)

PAYOUTS = pa.DataFrameSchema(
    {
        "influencer_id": pa.Column(int, coerce=True, unique=True),
        "basis": pa.Column(str, pa.Check.isin(PAYOUT_BASES)),
        "rate": pa.Column(float, _non_negative, coerce=True),
        "orders": pa.Column(float, _non_negative, coerce=True),
        "total_payout": pa.Column(float, _non_negative, coerce=True),
    },
    strict=False,
    name="payouts",
)

# The business's own sales, one row per day (a shop or GA4 report, not platform-attributed revenue).
# Revenue may be negative (a day of refunds); orders may be unknown (NaN, never 0 for "not reported").
SALES = pa.DataFrameSchema(
    {
        "date": pa.Column(
            "datetime64[ns]",
            pa.Check(lambda d: d == d.dt.normalize(), name="whole_day"),
            nullable=False,
            unique=True,
            coerce=True,
        ),
        "revenue": pa.Column(float, nullable=False, coerce=True),
        "orders": pa.Column(float, _non_negative, nullable=True, coerce=True),
    },
    strict=False,
    name="sales",
)

SCHEMAS: dict[str, pa.DataFrameSchema] = {
    "campaigns": CAMPAIGNS,
    "influencers": INFLUENCERS,
    "posts": POSTS,
    "tracking": TRACKING,
    "payouts": PAYOUTS,
    "sales": SALES,
}
