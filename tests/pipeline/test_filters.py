"""Filter specs: None means no restriction, an empty tuple selects nothing, dates are inclusive days."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.filters import (
    CampaignFilter,
    InfluencerFilter,
    apply_campaign_filter,
    apply_influencer_filter,
    date_mask,
    matching_influencer_ids,
)


@pytest.fixture
def campaigns() -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "date": pd.to_datetime(["2025-01-01 00:00", "2025-01-02 00:00", "2025-01-03 00:00", "2025-01-03 15:00"]),
            "platform": ["Meta", "TikTok", "Meta", "Instagram"],
            "device": ["Mobile", "Desktop", "Desktop", "Mobile"],
            "campaign": ["A", "B", "A", "C"],
            "campaign_type": ["Traffic", "Conversion", "Traffic", "Awareness"],
            "content_type": ["Video", "Image", "UGC", "Video"],
            "spend": [1.0, 2.0, 3.0, 4.0],
        }
    )
    return frame.astype({c: "category" for c in ("platform", "device", "campaign", "campaign_type", "content_type")})


def test_no_restriction_keeps_every_row(campaigns: pd.DataFrame) -> None:
    out = apply_campaign_filter(campaigns, CampaignFilter())
    pd.testing.assert_frame_equal(out, campaigns)


def test_each_dimension_restricts(campaigns: pd.DataFrame) -> None:
    assert apply_campaign_filter(campaigns, CampaignFilter(platforms=("Meta",)))["spend"].tolist() == [1.0, 3.0]
    assert apply_campaign_filter(campaigns, CampaignFilter(devices=("Desktop",)))["spend"].tolist() == [2.0, 3.0]
    assert apply_campaign_filter(campaigns, CampaignFilter(campaigns=("C",)))["spend"].tolist() == [4.0]
    assert apply_campaign_filter(campaigns, CampaignFilter(campaign_types=("Conversion",)))["spend"].tolist() == [2.0]
    assert apply_campaign_filter(campaigns, CampaignFilter(content_types=("Video",)))["spend"].tolist() == [1.0, 4.0]


def test_filters_combine_with_and(campaigns: pd.DataFrame) -> None:
    spec = CampaignFilter(platforms=("Meta", "Instagram"), devices=("Mobile",), content_types=("Video",))
    assert apply_campaign_filter(campaigns, spec)["spend"].tolist() == [1.0, 4.0]


def test_empty_selection_selects_nothing_without_error(campaigns: pd.DataFrame) -> None:
    out = apply_campaign_filter(campaigns, CampaignFilter(platforms=()))
    assert out.empty
    assert list(out.columns) == list(campaigns.columns)


def test_unknown_values_select_nothing(campaigns: pd.DataFrame) -> None:
    assert apply_campaign_filter(campaigns, CampaignFilter(platforms=("Google Ads",))).empty


def test_date_range_is_inclusive_of_the_whole_end_day(campaigns: pd.DataFrame) -> None:
    spec = CampaignFilter(start=pd.Timestamp("2025-01-02"), end=pd.Timestamp("2025-01-03"))
    assert apply_campaign_filter(campaigns, spec)["spend"].tolist() == [2.0, 3.0, 4.0]
    assert apply_campaign_filter(campaigns, CampaignFilter(end=pd.Timestamp("2025-01-01")))["spend"].tolist() == [1.0]


def test_a_missing_dimension_column_does_not_restrict(campaigns: pd.DataFrame) -> None:
    frame = campaigns.drop(columns=["device"])
    assert len(apply_campaign_filter(frame, CampaignFilter(devices=("Tablet",)))) == 4


def test_filtering_does_not_mutate_the_input(campaigns: pd.DataFrame) -> None:
    before = campaigns.copy()
    apply_campaign_filter(campaigns, CampaignFilter(platforms=("Meta",), start=pd.Timestamp("2025-01-02")))
    pd.testing.assert_frame_equal(campaigns, before)


def test_date_mask_open_ends() -> None:
    dates = pd.Series(pd.to_datetime(["2025-01-01", "2025-06-01"]))
    assert date_mask(dates, None, None).tolist() == [True, True]
    assert date_mask(dates, pd.Timestamp("2025-02-01"), None).tolist() == [False, True]


@pytest.fixture
def influencer_tables() -> dict[str, pd.DataFrame]:
    influencers = pd.DataFrame(
        {
            "id": [1, 2, 3],
            "name": ["Ann", "Bob", "Cy"],
            "platform": ["Instagram", "TikTok", "Instagram"],
            "category": ["Fitness", "Tech", "Beauty"],
            "gender": ["Female", "Male", "Female"],
            "influencer_type": ["Nano", "Macro", "Micro"],
        }
    )
    tracking = pd.DataFrame(
        {
            "influencer_id": [1, 1, 2, 3],
            "user_id": [10, 11, 12, 13],
            "product": ["MB Protein", "Biotin Gummies", "MB Protein", "MB Protein"],
            "date": pd.to_datetime(["2025-09-01", "2025-09-10", "2025-09-05", "2025-10-01"]),
            "orders": [1.0, 2.0, 1.0, 1.0],
            "revenue": [45.0, 52.0, 45.0, 45.0],
            "group": [1, 1, 0, 1],
        }
    )
    posts = pd.DataFrame(
        {
            "influencer_id": [1, 2, 3],
            "date": pd.to_datetime(["2025-09-01", "2025-09-02", "2025-10-05"]),
            "reach": [100.0, 200.0, 300.0],
            "likes": [10.0, 20.0, 30.0],
            "comments": [1.0, 2.0, 3.0],
        }
    )
    payouts = pd.DataFrame({"influencer_id": [1, 2, 3], "total_payout": [100.0, 200.0, 300.0]})
    return {"influencers": influencers, "posts": posts, "tracking": tracking, "payouts": payouts}


def test_influencer_profile_filters(influencer_tables: dict[str, pd.DataFrame]) -> None:
    spec = InfluencerFilter(platforms=("Instagram",), genders=("Female",), influencer_types=("Nano",))
    assert matching_influencer_ids(influencer_tables["influencers"], spec).tolist() == [1]
    out = apply_influencer_filter(influencer_tables, spec)
    assert out["influencers"]["id"].tolist() == [1]
    assert out["tracking"]["user_id"].tolist() == [10, 11]
    assert out["posts"]["influencer_id"].tolist() == [1]
    assert out["payouts"]["total_payout"].tolist() == [100.0]


def test_product_and_dates_narrow_tracking_but_keep_the_whole_payout(
    influencer_tables: dict[str, pd.DataFrame],
) -> None:
    spec = InfluencerFilter(products=("MB Protein",), start=pd.Timestamp("2025-09-01"), end=pd.Timestamp("2025-09-30"))
    out = apply_influencer_filter(influencer_tables, spec)
    assert out["tracking"]["user_id"].tolist() == [10, 12]
    assert out["posts"]["influencer_id"].tolist() == [1, 2]  # influencer 3 posted in October
    assert out["payouts"]["total_payout"].tolist() == [100.0, 200.0, 300.0]


def test_empty_influencer_selection_gives_empty_tables(influencer_tables: dict[str, pd.DataFrame]) -> None:
    out = apply_influencer_filter(influencer_tables, InfluencerFilter(categories=()))
    assert all(table.empty for table in out.values())
