"""Seeded synthetic demo data with known ground truth.

    python data_generation.py [--seed 42] [--out data] [--rows N]

Same seed, same bytes: every random draw comes from a generator derived from the
seed, and dates sit on a fixed calendar. Campaign rows are written in chunks so
that 10M rows fit in a few GB of RAM.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline import config
from pipeline.modeling import media_curves, mmm_data

CALENDAR_START = pd.Timestamp("2025-01-01")
CALENDAR_DAYS = 365
INFLUENCER_START = pd.Timestamp("2025-09-01")
INFLUENCER_DAYS = 91

DEVICES = ("Mobile", "Desktop", "Tablet")
DEVICE_SPEND_SHARE = {"Mobile": 0.62, "Desktop": 0.28, "Tablet": 0.10}
DEVICE_CTR = {"Mobile": 1.10, "Desktop": 0.95, "Tablet": 0.80}
DEVICE_CVR = {"Mobile": 0.85, "Desktop": 1.30, "Tablet": 0.95}
AD_SETS = ("Broad", "Lookalike", "Retargeting")
AD_SET_CVR = {"Broad": 0.8, "Lookalike": 1.0, "Retargeting": 1.6}
CAMPAIGN_TYPES = ("Awareness", "Traffic", "Conversion")
CAMPAIGN_TYPE_CVR = {"Awareness": 0.6, "Traffic": 0.9, "Conversion": 1.4}
CONTENT_TYPES = ("Video", "Image", "Carousel", "UGC")
CONTENT_CTR = {"Video": 1.15, "Image": 0.85, "Carousel": 1.0, "UGC": 1.25}
CAMPAIGN_THEMES = (
    "Spring Launch",
    "Summer Sale",
    "Back to School",
    "Black Friday",
    "Holiday Gifts",
    "Brand Always-On",
    "New Arrivals",
    "Loyalty Push",
    "Flash Deal",
    "App Installs",
)

# Impressions = k · spend^beta: beta < 1 is the diminishing return per platform.
PLATFORM_RESPONSE = {
    "Meta": {"k": 260.0, "beta": 0.82, "ctr": 0.012, "cvr": 0.045, "aov": 62.0, "engagement_rate": 0.018},
    "TikTok": {"k": 420.0, "beta": 0.74, "ctr": 0.009, "cvr": 0.028, "aov": 48.0, "engagement_rate": 0.045},
    "Instagram": {"k": 300.0, "beta": 0.78, "ctr": 0.010, "cvr": 0.035, "aov": 55.0, "engagement_rate": 0.032},
}
PLATFORMS = tuple(PLATFORM_RESPONSE)
WEEKDAY_SPEND = np.array([1.00, 1.02, 1.03, 1.04, 1.08, 0.92, 0.88])  # Monday first
WEEKDAY_CVR = np.array([1.00, 1.00, 1.02, 1.02, 1.05, 1.10, 1.08])
HOLIDAY_PEAK = pd.Timestamp("2025-11-28")  # Black Friday
PAUSED_DAY_SHARE = 0.01  # zero-spend rows, so consumers meet zero denominators
PACING_SD = 0.10  # a platform's day-to-day budget pacing, shared by its campaigns
PAUSE_LEVEL = 0.05  # a paused flight keeps a trickle of spend (retargeting keeps running)
ROWS_PER_COMBO = CALENDAR_DAYS * len(DEVICES)
COMBOS_PER_CHUNK = 300

CATEGORIES = ("Fitness", "Beauty", "Health", "Lifestyle", "Food", "Tech")
INFLUENCER_PLATFORMS = ("Instagram", "TikTok", "YouTube")
PRODUCTS = {"MB Protein": 45.0, "HK Multivitamin": 22.0, "Gritzo Shake": 30.0, "Biotin Gummies": 26.0}
CATEGORY_LIFT = {"Fitness": 0.70, "Beauty": 0.45, "Health": 0.60, "Lifestyle": 0.25, "Food": 0.30, "Tech": 0.08}
GENDER_LIFT = {"Female": 1.15, "Male": 0.85}
BASE_ORDER_RATE = 0.09  # control users' mean orders over the campaign window
MMM_MAX_LAG = 8  # days of carryover in the media mix truth
INFLUENCER_CHANNEL = mmm_data.INFLUENCER_CHANNEL
SALES_ORDER_VALUE = 54.0
WEEKDAY_SALES = np.array([-0.03, -0.02, 0.0, 0.01, 0.04, 0.03, -0.03])  # Monday first
EXPOSED_SHARE = 0.5  # users are randomised 50/50 within each influencer
CONTAMINATED_SHARE = 0.004  # users logged in both groups, to be excluded downstream


@dataclass(frozen=True)
class CampaignCombo:
    platform: str
    campaign: str
    ad_set: str
    campaign_type: str
    content_type: str
    daily_budget: float
    ctr_effect: float
    cvr_effect: float


def _rng(seed: int, *stream: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, *stream]))


def campaign_combos(seed: int, rows: int) -> list[CampaignCombo]:
    """Enough platform x campaign x ad set combinations to reach `rows` daily device rows."""
    n_combos = max(1, math.ceil(rows / ROWS_PER_COMBO))
    rng = _rng(seed, 1)
    combos = []
    for index in range(n_combos):
        platform = PLATFORMS[index % len(PLATFORMS)]
        campaign_no = index // (len(PLATFORMS) * len(AD_SETS))
        theme = CAMPAIGN_THEMES[campaign_no % len(CAMPAIGN_THEMES)]
        suffix = "" if campaign_no < len(CAMPAIGN_THEMES) else f" {campaign_no // len(CAMPAIGN_THEMES) + 1}"
        combos.append(
            CampaignCombo(
                platform=platform,
                campaign=f"{platform} {theme}{suffix}",
                ad_set=AD_SETS[(index // len(PLATFORMS)) % len(AD_SETS)],
                campaign_type=CAMPAIGN_TYPES[(campaign_no + index) % len(CAMPAIGN_TYPES)],
                content_type=CONTENT_TYPES[rng.integers(len(CONTENT_TYPES))],
                daily_budget=float(rng.lognormal(np.log(180.0), 0.6)),
                ctr_effect=float(rng.lognormal(0.0, 0.25)),
                cvr_effect=float(rng.lognormal(0.0, 0.30)),
            )
        )
    return combos


def platform_flights(seed: int) -> np.ndarray:
    """(platform, day) spend multipliers: each platform's own pacing, pauses and surges of one to three weeks.

    They let a media mix model tell the platforms apart although their spends share the season: every platform
    gets at least one pause and one surge, and day-to-day pacing of its own. No flight falls in the last five
    weeks, so the default "last 28 days" view and its previous period show every platform.
    """
    rng = _rng(seed, 5)
    flights = rng.lognormal(0.0, PACING_SD, (len(PLATFORMS), CALENDAR_DAYS))
    for row in flights:
        for kind in ("pause", "surge"):
            length = int(rng.integers(7, 15))
            start = int(rng.integers(14, CALENDAR_DAYS - 35 - length))
            row[start : start + length] *= PAUSE_LEVEL if kind == "pause" else rng.uniform(1.5, 1.9)
    return flights


def _season(dates: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray]:
    """Spend and conversion-rate multipliers: weekly cycle plus a Black-Friday-to-Christmas peak."""
    weekday = dates.day_of_week.to_numpy()
    days_to_peak = (dates - HOLIDAY_PEAK).days.to_numpy()
    holiday = 1.0 + 0.8 * np.exp(-0.5 * (days_to_peak / 9.0) ** 2)
    december = np.where((dates.month == 12) & (dates.day <= 24), 1.25, 1.0)
    # Budgets follow the year too: leanest in early spring, fullest in autumn.
    yearly = 1.0 + 0.15 * np.sin(2 * np.pi * (dates.day_of_year.to_numpy() - 170) / 365.25)
    spend_mult = WEEKDAY_SPEND[weekday] * holiday * december * yearly
    cvr_mult = WEEKDAY_CVR[weekday] * (1.0 + 0.3 * (holiday - 1.0))
    return spend_mult, cvr_mult


def campaign_chunk(combos: list[CampaignCombo], seed: int, chunk_no: int) -> pd.DataFrame:
    """Daily device rows for a chunk of combos; physically consistent counts."""
    rng = _rng(seed, 2, chunk_no)
    dates = pd.date_range(CALENDAR_START, periods=CALENDAR_DAYS, freq="D")
    spend_mult, cvr_mult = _season(dates)
    n = len(combos) * ROWS_PER_COMBO
    combo_idx = np.repeat(np.arange(len(combos)), ROWS_PER_COMBO)
    day_idx = np.tile(np.repeat(np.arange(CALENDAR_DAYS), len(DEVICES)), len(combos))
    device_idx = np.tile(np.arange(len(DEVICES)), len(combos) * CALENDAR_DAYS)

    def per_combo(attr: str) -> np.ndarray:
        return np.array([getattr(c, attr) for c in combos])[combo_idx]

    platform = per_combo("platform")
    device = np.array(DEVICES)[device_idx]
    response = {key: np.array([PLATFORM_RESPONSE[p][key] for p in PLATFORMS]) for key in PLATFORM_RESPONSE["Meta"]}
    p_idx = np.array([PLATFORMS.index(c.platform) for c in combos])[combo_idx]

    share = np.array([DEVICE_SPEND_SHARE[d] for d in DEVICES])[device_idx]
    flights = platform_flights(seed)[p_idx, day_idx]
    spend = per_combo("daily_budget") * share * spend_mult[day_idx] * flights * rng.lognormal(0.0, 0.25, n)
    spend = np.where(rng.random(n) < PAUSED_DAY_SHARE, 0.0, np.round(spend, 2))

    impressions = np.floor(response["k"][p_idx] * spend ** response["beta"][p_idx] * rng.lognormal(0.0, 0.15, n))
    reach = np.floor(impressions / rng.uniform(1.2, 2.4, n))
    content_ctr = np.array([CONTENT_CTR[c] for c in CONTENT_TYPES])
    content_idx = np.array([CONTENT_TYPES.index(c) for c in per_combo("content_type")])
    ctr = (
        response["ctr"][p_idx]
        * np.array([DEVICE_CTR[d] for d in DEVICES])[device_idx]
        * content_ctr[content_idx]
        * per_combo("ctr_effect")
    )
    clicks = rng.binomial(impressions.astype(np.int64), np.clip(ctr, 0, 1))
    ad_set_cvr = np.array([AD_SET_CVR[a] for a in per_combo("ad_set")])
    type_cvr = np.array([CAMPAIGN_TYPE_CVR[t] for t in per_combo("campaign_type")])
    cvr = (
        response["cvr"][p_idx]
        * np.array([DEVICE_CVR[d] for d in DEVICES])[device_idx]
        * ad_set_cvr
        * type_cvr
        * per_combo("cvr_effect")
        * cvr_mult[day_idx]
    )
    conversions = rng.binomial(clicks, np.clip(cvr, 0, 1))
    revenue = np.round(conversions * response["aov"][p_idx] * rng.lognormal(0.0, 0.2, n), 2)
    engagement = rng.binomial(
        impressions.astype(np.int64), np.clip(response["engagement_rate"][p_idx] * content_ctr[content_idx], 0, 1)
    )

    return pd.DataFrame(
        {
            "date": dates[day_idx].strftime("%Y-%m-%d"),
            "platform": platform,
            "campaign": per_combo("campaign"),
            "ad_set": per_combo("ad_set"),
            "campaign_type": per_combo("campaign_type"),
            "content_type": per_combo("content_type"),
            "device": device,
            "impressions": impressions.astype(np.int64),
            "reach": reach.astype(np.int64),
            "clicks": clicks.astype(np.int64),
            "conversions": conversions.astype(np.int64),
            "spend": spend,
            "revenue": revenue,
            "engagement": engagement.astype(np.int64),
        }
    )


def campaign_chunks(seed: int, rows: int) -> Iterator[pd.DataFrame]:
    """Campaign rows in chunks, exactly `rows` rows in total."""
    combos = campaign_combos(seed, rows)
    remaining = rows
    for chunk_no, start in enumerate(range(0, len(combos), COMBOS_PER_CHUNK)):
        chunk = campaign_chunk(combos[start : start + COMBOS_PER_CHUNK], seed, chunk_no)
        chunk = chunk.iloc[:remaining]
        remaining -= len(chunk)
        yield chunk
        if remaining <= 0:
            return


def write_campaigns(out: Path, seed: int, rows: int, parquet: bool = False) -> pd.DataFrame:
    """Write campaigns.csv (and campaigns.parquet when asked) chunk by chunk; return spend per day x platform."""
    csv_path = out / config.CAMPAIGNS_FILE
    writer = None
    daily = []
    with csv_path.open("w", newline="", encoding="utf-8") as handle:
        for index, chunk in enumerate(campaign_chunks(seed, rows)):
            daily.append(chunk.groupby(["date", "platform"])["spend"].sum())
            chunk.to_csv(handle, index=False, header=index == 0, float_format="%.2f", lineterminator="\n")
            if parquet:
                import pyarrow as pa
                import pyarrow.parquet as pq

                table = pa.Table.from_pandas(chunk.assign(date=pd.to_datetime(chunk["date"])), preserve_index=False)
                if writer is None:
                    writer = pq.ParquetWriter(out / "campaigns.parquet", table.schema)
                writer.write_table(table)
    if writer is not None:
        writer.close()
    spend = pd.concat(daily).groupby(level=[0, 1]).sum().unstack("platform", fill_value=0.0)
    return spend.reindex(columns=[p for p in PLATFORMS if p in spend.columns]).rename(index=pd.Timestamp)


def _influencer_type(followers: np.ndarray) -> np.ndarray:
    return np.select(
        [followers < 10_000, followers < 100_000, followers < 1_000_000],
        ["Nano", "Micro", "Macro"],
        default="Mega",
    )


def influencer_tables(seed: int, n_influencers: int = 60, users_per_influencer: int = 1200) -> dict[str, object]:
    """influencers, posts, tracking_data and payouts frames, plus the ground truth dict."""
    rng = _rng(seed, 3)
    ids = np.arange(1, n_influencers + 1)
    followers = np.round(10 ** rng.uniform(3.3, 6.8, n_influencers)).astype(np.int64)
    influencers = pd.DataFrame(
        {
            "id": ids,
            "name": [f"Influencer {i:03d}" for i in ids],
            "platform": rng.choice(INFLUENCER_PLATFORMS, n_influencers),
            "category": rng.choice(CATEGORIES, n_influencers),
            "gender": rng.choice(("Female", "Male"), n_influencers),
            "influencer_type": _influencer_type(followers),
            "follower_count": followers,
        }
    )
    lift = np.array(
        [CATEGORY_LIFT[c] * GENDER_LIFT[g] for c, g in zip(influencers["category"], influencers["gender"], strict=True)]
    ) * rng.lognormal(0.0, 0.3, n_influencers)
    campaign = np.array([f"Campaign_{1 + (i % 5)}" for i in ids])

    posts = _posts(rng, influencers)
    tracking, contaminated = _tracking(rng, influencers, lift, campaign, users_per_influencer)

    exposed = tracking[tracking["group"] == 1]
    clean_exposed = exposed[~exposed["user_id"].isin(contaminated)]
    orders_by_inf = exposed.groupby("influencer_id")["orders"].sum().reindex(ids, fill_value=0).to_numpy()
    posts_by_inf = posts.groupby("influencer_id").size().reindex(ids, fill_value=0).to_numpy()
    basis = np.where(rng.random(n_influencers) < 0.5, "order", "post")
    # Rates put attributed ROAS between about 0.7x and 15x, so some creators lose money.
    rate = np.where(
        basis == "order",
        np.round(rng.uniform(4.0, 24.0, n_influencers), 2),
        np.round(80.0 + np.sqrt(followers) * rng.uniform(0.1, 0.9, n_influencers), 2),
    )
    total = np.round(np.where(basis == "order", rate * orders_by_inf, rate * posts_by_inf), 2)
    payouts = pd.DataFrame(
        {"influencer_id": ids, "basis": basis, "rate": rate, "orders": orders_by_inf, "total_payout": total}
    )

    mean_price = float(np.mean(list(PRODUCTS.values())))
    n1 = clean_exposed.groupby("influencer_id").size().reindex(ids, fill_value=0).to_numpy()
    true_incremental_by_inf = n1 * BASE_ORDER_RATE * lift * mean_price
    truth = {
        "seed": seed,
        "iroas": float(true_incremental_by_inf.sum() / total.sum()),
        "incremental_revenue": float(true_incremental_by_inf.sum()),
        "total_payout": float(total.sum()),
        "exposed_share": EXPOSED_SHARE,
        "contaminated_users": len(contaminated),
        "base_order_rate": BASE_ORDER_RATE,
        "mean_order_value": mean_price,
        "lift_by_influencer": {str(i): float(v) for i, v in zip(ids, lift, strict=True)},
        "iroas_by_influencer": {
            str(i): (float(inc / pay) if pay > 0 else None)
            for i, inc, pay in zip(ids, true_incremental_by_inf, total, strict=True)
        },
    }
    return {"influencers": influencers, "posts": posts, "tracking_data": tracking, "payouts": payouts, "truth": truth}


def _posts(rng: np.random.Generator, influencers: pd.DataFrame) -> pd.DataFrame:
    counts = rng.integers(1, 6, len(influencers))
    inf_idx = np.repeat(np.arange(len(influencers)), counts)
    n = len(inf_idx)
    followers = influencers["follower_count"].to_numpy()[inf_idx]
    reach = np.floor(followers * rng.uniform(0.08, 0.35, n)).astype(np.int64)
    likes = rng.binomial(reach, rng.uniform(0.02, 0.09, n))
    comments = rng.binomial(likes, rng.uniform(0.01, 0.05, n))
    dates = INFLUENCER_START + pd.to_timedelta(rng.integers(0, INFLUENCER_DAYS, n), unit="D")
    captions = rng.choice(
        ["Great product for health!", "My daily routine staple", "Use my code for 10% off", "Honest review"], n
    )
    return pd.DataFrame(
        {
            "influencer_id": influencers["id"].to_numpy()[inf_idx],
            "platform": influencers["platform"].to_numpy()[inf_idx],
            "date": dates.strftime("%Y-%m-%d"),
            "url": [f"https://example.com/post/{i + 1}" for i in range(n)],
            "caption": captions,
            "reach": reach,
            "likes": likes,
            "comments": comments,
        }
    ).sort_values(["date", "influencer_id"], kind="stable", ignore_index=True)


def _tracking(
    rng: np.random.Generator,
    influencers: pd.DataFrame,
    lift: np.ndarray,
    campaign: np.ndarray,
    users_per_influencer: int,
) -> tuple[pd.DataFrame, np.ndarray]:
    n_inf = len(influencers)
    inf_idx = np.repeat(np.arange(n_inf), users_per_influencer)
    n = len(inf_idx)
    group = (rng.random(n) < EXPOSED_SHARE).astype(np.int64)
    rate = BASE_ORDER_RATE * (1.0 + lift[inf_idx] * group)
    orders = rng.poisson(rate)
    product_names = np.array(list(PRODUCTS))
    product_idx = rng.integers(len(product_names), size=n)
    prices = np.array(list(PRODUCTS.values()))
    # Price per order varies ±15% around the list price; E[revenue] = rate · mean list price.
    revenue = np.round(orders * prices[product_idx] * rng.uniform(0.85, 1.15, n), 2)
    tracking = pd.DataFrame(
        {
            "source": influencers["platform"].to_numpy()[inf_idx],
            "campaign": campaign[inf_idx],
            "influencer_id": influencers["id"].to_numpy()[inf_idx],
            "user_id": np.arange(100_001, 100_001 + n),
            "product": product_names[product_idx],
            "date": (INFLUENCER_START + pd.to_timedelta(rng.integers(0, INFLUENCER_DAYS, n), unit="D")).strftime(
                "%Y-%m-%d"
            ),
            "orders": orders,
            "revenue": revenue,
            "group": group,
        }
    )
    # A few users also show up in the other group (shared devices, cookie churn).
    dupes = tracking.sample(frac=CONTAMINATED_SHARE, random_state=rng.integers(2**31)).assign(
        group=lambda f: 1 - f["group"], orders=0, revenue=0.0
    )
    tracking = pd.concat([tracking, dupes], ignore_index=True)
    return tracking, dupes["user_id"].to_numpy()


def _channel_truth(rng: np.random.Generator, spend: np.ndarray, target_roas: float) -> tuple[dict, np.ndarray]:
    """Draw a channel's adstock and saturation, and set β so that its ROAS is exactly `target_roas`."""
    decay, slope = float(rng.uniform(0.2, 0.8)), float(rng.uniform(1.0, 2.0))
    half_saturation = float(spend[spend > 0].mean() * rng.uniform(0.6, 1.8))
    unit = media_curves.daily_contribution(spend, decay, MMM_MAX_LAG, half_saturation, slope, 1.0)[0]
    beta = float(target_roas * spend.sum() / unit.sum())
    contribution = beta * unit
    truth = {
        "adstock": {"type": "geometric", "decay": decay, "max_lag_days": MMM_MAX_LAG, "normalized": True},
        "saturation": {"type": "hill", "half_saturation": half_saturation, "slope": slope},
        "beta": beta,
        "spend": float(spend.sum()),
        "contribution": float(contribution.sum()),
        "roas": float(contribution.sum() / spend.sum()),
        "mroas": float(media_curves.marginal_roas(spend, decay, MMM_MAX_LAG, half_saturation, slope, beta)[0]),
    }
    return truth, contribution


def _baseline_shape(rng: np.random.Generator, dates: pd.DatetimeIndex) -> np.ndarray:
    """Trend, weekly and yearly seasonality and a Black Friday peak, around 1."""
    t = np.arange(len(dates)) / len(dates)
    yearly = rng.uniform(0.05, 0.12) * np.sin(2 * np.pi * dates.day_of_year.to_numpy() / 365.25 + rng.uniform(0, 6.28))
    return (
        1.0
        + rng.uniform(0.05, 0.25) * t
        + WEEKDAY_SALES[dates.day_of_week.to_numpy()]
        + yearly
        + rng.uniform(0.3, 0.6) * mmm_data.holiday_peak(dates)
    )


def sales_tables(seed: int, channel_spend: pd.DataFrame, iroas: float) -> tuple[pd.DataFrame, dict[str, object]]:
    """The business's daily sales (sales.csv) and the media mix truth behind them.

    revenue = baseline + Σ_c β_c·h(adstock(spend_c)) + noise; the Influencers channel's ROAS is set to the
    experiment's true iROAS so that the lift test measures what the media mix model estimates.
    """
    rng = _rng(seed, 6)
    dates = channel_spend.index
    channels, contributions = {}, []
    for name in channel_spend.columns:
        target = iroas if name == INFLUENCER_CHANNEL else float(rng.uniform(0.5, 2.5))
        channels[name], contribution = _channel_truth(rng, channel_spend[name].to_numpy(), target)
        contributions.append(contribution)
    media = np.sum(contributions, axis=0)
    share = rng.uniform(0.55, 0.75)
    shape = _baseline_shape(rng, dates)
    baseline = shape * media.sum() * share / (1 - share) / shape.sum()
    noise_sd = float(rng.uniform(0.05, 0.08) * (baseline + media).mean())
    revenue = np.round(baseline + media + rng.normal(0.0, noise_sd, len(dates)), 2)
    orders = rng.poisson(np.maximum(revenue, 0.0) / SALES_ORDER_VALUE)
    sales = pd.DataFrame({"date": dates.strftime("%Y-%m-%d"), "revenue": revenue, "orders": orders})
    truth = {"channels": channels, "baseline_share": float(baseline.sum() / revenue.sum()), "noise_sd": noise_sd}
    return sales, truth


def platform_truth() -> dict[str, dict[str, float]]:
    """Spend-response parameters per platform, as written to ground_truth.json."""
    return {platform: dict(params) for platform, params in PLATFORM_RESPONSE.items()}


def generate(out: Path, seed: int = config.DEFAULT_SEED, rows: int = config.DEFAULT_CAMPAIGN_ROWS) -> dict[str, object]:
    """Write every demo file into `out` and return the ground truth."""
    out.mkdir(parents=True, exist_ok=True)
    platform_spend = write_campaigns(out, seed, rows, parquet=rows >= 1_000_000)
    tables = influencer_tables(seed)
    for name in ("influencers", "posts", "tracking_data", "payouts"):
        tables[name].to_csv(out / f"{name}.csv", index=False, lineterminator="\n")
    channel_spend = platform_spend.assign(
        **{
            INFLUENCER_CHANNEL: mmm_data.influencer_daily_spend(tables["posts"], tables["payouts"]).reindex(
                platform_spend.index, fill_value=0.0
            )
        }
    )
    sales, mmm_truth = sales_tables(seed, channel_spend, tables["truth"]["iroas"])
    sales.to_csv(out / config.SALES_FILE, index=False, lineterminator="\n")
    truth = {
        **tables["truth"],
        "mmm": mmm_truth,
        "campaign_rows": rows,
        "calendar": {"start": str(CALENDAR_START.date()), "days": CALENDAR_DAYS},
        "platform_response": platform_truth(),
        "impressions_model": "impressions = k * spend ** beta * lognormal(0, 0.15)",
    }
    (out / config.GROUND_TRUTH_FILE).write_text(json.dumps(truth, indent=2, sort_keys=True) + "\n")
    return truth


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=config.DEFAULT_SEED)
    parser.add_argument("--out", type=Path, default=config.data_dir())
    parser.add_argument("--rows", type=int, default=config.DEFAULT_CAMPAIGN_ROWS)
    args = parser.parse_args(argv)
    if args.rows < 1:
        parser.error("--rows must be at least 1")
    generate(args.out, args.seed, args.rows)
    print(f"wrote demo data to {args.out} (seed {args.seed}, {args.rows:,} campaign rows)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
