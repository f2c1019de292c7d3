"""Reading the product's own canonical tables (demo data or a saved upload)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline import config
from pipeline.schemas import CAMPAIGN_MEASURES

CAMPAIGN_CATEGORIES = ("platform", "campaign", "ad_set", "campaign_type", "content_type", "device")


def tidy_campaigns(frame: pd.DataFrame) -> pd.DataFrame:
    """Canonical dtypes: datetime dates, categorical dimensions, float measures."""
    out = frame.copy()
    out["date"] = pd.to_datetime(out["date"])
    for column in CAMPAIGN_CATEGORIES:
        if column in out.columns:
            out[column] = out[column].astype("string").fillna("(none)").astype("category")
    for column in CAMPAIGN_MEASURES:
        if column in out.columns:
            out[column] = pd.to_numeric(out[column], errors="coerce").fillna(0.0).astype("float64")
    return out


def read_campaigns(directory: Path | None = None) -> pd.DataFrame:
    """campaigns.parquet if present (faster at scale), else campaigns.csv, with canonical dtypes."""
    directory = directory or config.data_dir()
    parquet = directory / "campaigns.parquet"
    if parquet.exists():
        return tidy_campaigns(pd.read_parquet(parquet))
    return tidy_campaigns(pd.read_csv(directory / config.CAMPAIGNS_FILE))


def read_influencer_tables(directory: Path | None = None) -> dict[str, pd.DataFrame]:
    """influencers, posts, tracking and payouts frames with parsed dates."""
    directory = directory or config.data_dir()
    tables = {
        "influencers": pd.read_csv(directory / config.INFLUENCERS_FILE),
        "posts": pd.read_csv(directory / config.POSTS_FILE, parse_dates=["date"]),
        "tracking": pd.read_csv(directory / config.TRACKING_FILE, parse_dates=["date"]),
        "payouts": pd.read_csv(directory / config.PAYOUTS_FILE),
    }
    return tables


def demo_data_present(directory: Path | None = None) -> bool:
    """True when every demo file exists and is non-empty."""
    directory = directory or config.data_dir()
    return all((directory / name).is_file() and (directory / name).stat().st_size > 0 for name in config.DEMO_FILES)
