"""Tiny data folders shaped like data_generation's output, for running pages under edge conditions.

`write_data_dir(out, condition)` writes campaigns.csv, influencers.csv, posts.csv, tracking_data.csv,
payouts.csv, sales.csv and ground_truth.json (so the loaders never regenerate demo data into the folder).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pandas as pd

import data_generation
from pipeline import config
from pipeline.modeling import mmm_data

SEED = 7
CAMPAIGN_ROWS = 4_000  # 4 campaign x ad set units on 3 platforms: the smallest set with some variety
N_INFLUENCERS = 10
USERS_PER_INFLUENCER = 120
Tables = dict[str, pd.DataFrame]


@cache
def _base() -> tuple[Tables, dict]:
    campaigns = pd.concat(list(data_generation.campaign_chunks(SEED, CAMPAIGN_ROWS)), ignore_index=True)
    generated = data_generation.influencer_tables(SEED, N_INFLUENCERS, USERS_PER_INFLUENCER)
    tables = {
        "sales": _sales(campaigns, generated),
        "campaigns": campaigns,
        "influencers": generated["influencers"],
        "posts": generated["posts"],
        "tracking_data": generated["tracking_data"],
        "payouts": generated["payouts"],
    }
    return tables, generated["truth"]


def _sales(campaigns: pd.DataFrame, generated: dict) -> pd.DataFrame:
    """The business's daily sales behind these campaigns and influencers, as data_generation makes them."""
    spend = mmm_data.platform_daily_spend(campaigns.assign(date=pd.to_datetime(campaigns["date"])))
    influencers = mmm_data.influencer_daily_spend(generated["posts"], generated["payouts"])
    spend = spend.assign(**{mmm_data.INFLUENCER_CHANNEL: influencers.reindex(spend.index, fill_value=0.0)})
    return data_generation.sales_tables(SEED, spend, generated["truth"]["iroas"])[0]


def base_tables() -> Tables:
    """Fresh copies of the small generated tables (campaigns, influencers, posts, tracking_data, payouts)."""
    tables, _ = _base()
    return {name: frame.copy() for name, frame in tables.items()}


def _single_row(t: Tables) -> Tables:
    first = t["influencers"].head(1)
    chosen = int(first["id"].iloc[0])
    tracking = t["tracking_data"]
    return {
        "campaigns": t["campaigns"].head(1),
        "influencers": first,
        "posts": t["posts"][t["posts"]["influencer_id"] == chosen].head(1),
        "tracking_data": tracking[tracking["influencer_id"] == chosen].head(1),
        "payouts": t["payouts"][t["payouts"]["influencer_id"] == chosen],
    }


def _single_platform(t: Tables) -> Tables:
    platform = t["influencers"]["platform"].iloc[0]
    ids = t["influencers"].loc[t["influencers"]["platform"] == platform, "id"]
    keep = {
        name: frame[frame["influencer_id"].isin(ids)] for name, frame in t.items() if "influencer_id" in frame.columns
    }
    return {
        **t,
        **keep,
        "campaigns": t["campaigns"][t["campaigns"]["platform"] == t["campaigns"]["platform"].iloc[0]],
        "influencers": t["influencers"][t["influencers"]["id"].isin(ids)],
    }


def _single_day(t: Tables) -> Tables:
    day = t["tracking_data"]["date"].iloc[0]
    return {
        **t,
        "campaigns": t["campaigns"][t["campaigns"]["date"] == t["campaigns"]["date"].iloc[0]],
        "posts": t["posts"].assign(date=day),
        "tracking_data": t["tracking_data"].assign(date=day),
    }


def _zero_money(t: Tables) -> Tables:
    return {
        **t,
        "campaigns": t["campaigns"].assign(spend=0.0),
        "payouts": t["payouts"].assign(rate=0.0, total_payout=0.0),
    }


CONDITIONS: dict[str, Callable[[Tables], Tables]] = {
    "full": lambda t: t,
    "single_row": _single_row,
    "single_platform": _single_platform,
    "single_day": _single_day,
    "zero_spend_and_payout": _zero_money,
}


def write_data_dir(out: Path, condition: str = "full", change: Callable[[Tables], Tables] | None = None) -> Path:
    """The tables of `condition` (then `change`, if given) written where APP_DATA_DIR can point."""
    tables = CONDITIONS[condition](base_tables())
    if change is not None:
        tables = change(tables)
    out.mkdir(parents=True, exist_ok=True)
    tables.setdefault("sales", _base()[0]["sales"])  # conditions change the ad tables, not the shop's sales
    files = {
        "campaigns": config.CAMPAIGNS_FILE,
        "sales": config.SALES_FILE,
        "influencers": config.INFLUENCERS_FILE,
        "posts": config.POSTS_FILE,
        "tracking_data": config.TRACKING_FILE,
        "payouts": config.PAYOUTS_FILE,
    }
    for name, file_name in files.items():
        tables[name].to_csv(out / file_name, index=False, float_format="%.2f", lineterminator="\n")
    (out / config.GROUND_TRUTH_FILE).write_text(json.dumps(_base()[1]))
    return out
