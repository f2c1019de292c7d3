"""Paths and settings, in one place."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    """Where the app reads its data: APP_DATA_DIR, else data/ in the checkout."""
    return Path(os.environ.get("APP_DATA_DIR", ROOT / "data"))


def models_dir() -> Path:
    """Where trained models live: APP_MODELS_DIR, else models/ in the checkout."""
    return Path(os.environ.get("APP_MODELS_DIR", ROOT / "models"))


# Engines that can compute the grouped sums (pipeline.scale.backends); here so the CLI parser need not import them.
BACKEND_KINDS = ("duckdb", "spark", "postgres")

# What a blank dimension cell (device, platform, ...) is shown and grouped as, in every engine.
MISSING_LABEL = "(none)"

DEFAULT_SEED = 42
# About 50k rows keeps the demo snappy while still covering a full year of days.
DEFAULT_CAMPAIGN_ROWS = 50_000

CAMPAIGNS_FILE = "campaigns.csv"
# The same campaign table as Parquet, written beside the CSV for big data sets (read first when present).
CAMPAIGNS_PARQUET = "campaigns.parquet"
INFLUENCERS_FILE = "influencers.csv"
POSTS_FILE = "posts.csv"
TRACKING_FILE = "tracking_data.csv"
PAYOUTS_FILE = "payouts.csv"
GROUND_TRUTH_FILE = "ground_truth.json"
DEMO_FILES = (
    CAMPAIGNS_FILE,
    INFLUENCERS_FILE,
    POSTS_FILE,
    TRACKING_FILE,
    PAYOUTS_FILE,
    GROUND_TRUTH_FILE,
)
