"""Raw tables to canonical ones: campaign measures, estimates from stated assumptions and dimensions;
influencer ids, groups and vocabularies; the schema check; and every dropped row counted under its reason."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa

from pipeline import config
from pipeline.inputs.demo import tidy_campaigns
from pipeline.inputs.ingest.cells import (
    blank_cells,
    matches_total,
    normalize_values,
    parse_dates,
    parse_numbers,
    per_value,
)
from pipeline.inputs.ingest.errors import IngestError
from pipeline.inputs.ingest.headers import infer_platform
from pipeline.inputs.ingest.reading import RawTable
from pipeline.inputs.ingest.vocabulary import (
    ALL_DEVICES,
    BLANK_TOKENS,
    DEFAULT_ASSUMPTIONS,
    DEVICE_VALUES,
    GROUP_VALUES,
    ID_COLUMNS,
    IGNORED,
    INFLUENCER_IDS,
    INFLUENCER_INTS,
    INT64_LIMIT,
    MAX_NUMBER,
    MONEY,
    PLATFORM_VALUES,
    SAMPLE_ROWS,
    UNIQUE_IDS,
)
from pipeline.schemas import CAMPAIGN_DIMENSIONS, CAMPAIGN_MEASURES, INFLUENCER_TYPES, PAYOUT_BASES, SCHEMAS


class _Drops:
    """Row drops by reason; each row is counted once, under the first reason added."""

    def __init__(self, rows: int) -> None:
        self.dropped = np.zeros(rows, dtype=bool)
        self.counts: dict[str, int] = {}

    def add(self, reason: str, mask: pd.Series | np.ndarray) -> None:
        new = np.asarray(mask, dtype=bool) & ~self.dropped
        count = int(new.sum())
        if count:
            self.counts[reason] = self.counts.get(reason, 0) + count
            self.dropped |= new


def _assumptions(overrides: dict[str, float] | None) -> dict[str, float]:
    values = dict(DEFAULT_ASSUMPTIONS)
    for key, value in (overrides or {}).items():
        if key not in DEFAULT_ASSUMPTIONS:
            raise IngestError(f"Unknown assumption {key!r}; use one of {', '.join(DEFAULT_ASSUMPTIONS)}.")
        if not np.isfinite(value) or value < 0:
            raise IngestError(f"The assumption {key} must be a non-negative number, got {value!r}.")
        values[key] = float(value)
    return values


def _report_date(value: float) -> pd.Timestamp:
    try:
        return pd.to_datetime(str(int(value)), format="%Y%m%d")
    except (ValueError, OverflowError) as exc:
        raise IngestError("The report_date assumption must be a date written as YYYYMMDD, e.g. 20250101.") from exc


def _summary_rows(frame: pd.DataFrame, text_columns: list[str]) -> np.ndarray:
    """Google Ads "Total: ..." rows, and Meta's total row (every dimension blank)."""
    summary = np.zeros(len(frame), dtype=bool)
    for column in text_columns:
        summary |= matches_total(frame[column])
    dims = [c for c in CAMPAIGN_DIMENSIONS if c != "date" and c in frame.columns]
    if "campaign" in frame.columns:
        all_blank = np.ones(len(frame), dtype=bool)
        for column in dims:
            all_blank &= per_value(frame[column], lambda t: t.str.strip() == "", missing=True)
        summary |= all_blank
    return summary


def _campaign_measures(frame: pd.DataFrame, decimal_comma: bool, drops: _Drops) -> None:
    """Parse measures in place and drop junk, negative and impossible rows (in DROP_REASONS order).
    A cell holding a missing token ("n/a", "-", "null") stays NaN: the row is kept, that value is unknown."""
    bad = np.zeros(len(frame), dtype=bool)
    for measure in CAMPAIGN_MEASURES:
        if measure in frame.columns:
            frame[measure], junk = parse_numbers(frame[measure], decimal_comma)
            bad |= junk.to_numpy()
    drops.add("unparseable number", bad)
    present = [m for m in CAMPAIGN_MEASURES if m in frame.columns]
    drops.add("number too large", (frame[present].abs() > MAX_NUMBER).any(axis=1))
    money = [m for m in MONEY if m in frame.columns]
    counts = [m for m in CAMPAIGN_MEASURES if m in frame.columns and m not in MONEY]
    drops.add("negative money", (frame[money] < 0).any(axis=1) if money else np.zeros(len(frame), bool))
    drops.add("negative number", (frame[counts] < 0).any(axis=1) if counts else np.zeros(len(frame), bool))
    if {"clicks", "impressions"} <= set(frame.columns):
        drops.add("clicks > impressions", frame["clicks"] > frame["impressions"])


def _refuse_without_numbers(frame: pd.DataFrame) -> None:
    """One sentence when no kept row has a number in any measure column (all missing tokens)."""
    present = [m for m in CAMPAIGN_MEASURES if m in frame.columns]
    if len(frame) and present and not frame[present].notna().to_numpy().any():
        raise IngestError(
            f"No row has a usable number in any measure column ({', '.join(present)}): every such cell is "
            "a missing value like n/a, - or null."
        )


def missing_counts(frame: pd.DataFrame) -> dict[str, int]:
    """Measure cells left missing (a missing token in the file, or estimated from one), per column."""
    counts = {m: int(frame[m].isna().sum()) for m in CAMPAIGN_MEASURES if m in frame.columns}
    return {m: n for m, n in counts.items() if n}


def _estimate_measures(frame: pd.DataFrame, values: dict[str, float]) -> tuple[list[str], dict[str, float]]:
    """Fill a missing revenue or spend column from stated assumptions."""
    estimated, used = [], {}
    if "revenue" not in frame.columns and "conversions" in frame.columns:
        frame["revenue"] = frame["conversions"] * values["average_order_value"]
        estimated.append("revenue")
        used["average_order_value"] = values["average_order_value"]
    if "spend" not in frame.columns and "impressions" in frame.columns:
        frame["spend"] = frame["impressions"] * values["cpm"] / 1000.0
        estimated.append("spend")
        used["cpm"] = values["cpm"]
    return estimated, used


def _campaign_dimensions(frame: pd.DataFrame, platform: str | None) -> None:
    """Canonical platform and device spellings; constant fills where the file has no such column."""
    fallback = platform or config.MISSING_LABEL
    if "platform" in frame.columns:
        frame["platform"] = normalize_values(frame["platform"], PLATFORM_VALUES).fillna(fallback)
    else:
        frame["platform"] = fallback
    if "device" in frame.columns:
        frame["device"] = normalize_values(frame["device"], DEVICE_VALUES)
    else:
        frame["device"] = ALL_DEVICES
    for column in ("campaign", "ad_set"):
        if column not in frame.columns:
            frame[column] = config.MISSING_LABEL


def _validate(frame: pd.DataFrame, schema: pa.DataFrameSchema) -> pd.DataFrame:
    """The boundary check; cleaning already removed bad rows, so a failure here is reported, not hidden.

    Campaign measures may be missing (a "n/a" cell), so they are nullable here, and the table-wide checks
    (clicks <= impressions) look only at the rows where both sides are known."""
    columns = {name: column for name, column in schema.columns.items() if name in frame.columns}
    checks = schema.checks if {"clicks", "impressions"} <= set(frame.columns) or schema.name != "campaigns" else []
    known = frame
    if schema.name == "campaigns":
        nullable = {m: {"nullable": True} for m in CAMPAIGN_MEASURES if m in columns}
        columns = pa.DataFrameSchema(columns).update_columns(nullable).columns
        known = frame.dropna(subset=[c for c in ("clicks", "impressions") if c in frame.columns])
    try:
        pa.DataFrameSchema(checks=checks, name=schema.name).validate(known, lazy=True)
        return pa.DataFrameSchema(columns, strict=False, name=schema.name).validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        case = exc.failure_cases.iloc[0]
        raise IngestError(
            f"The cleaned {schema.name} table failed the check {case['check']} on column {case['column']}."
        ) from exc


def _order_columns(frame: pd.DataFrame, mapping: dict[str, str]) -> pd.DataFrame:
    canonical = [c for c in (*CAMPAIGN_DIMENSIONS, *CAMPAIGN_MEASURES) if c in frame.columns]
    extras = [c for c in dict.fromkeys(mapping.values()) if c in frame.columns and c not in canonical]
    return frame[canonical + extras]


def _numeric_extras(frame: pd.DataFrame, extras: list[str], decimal_comma: bool) -> None:
    """Extra columns made only of numbers ("1,234", "45%") become numeric; others stay text."""
    for column in extras:
        series = frame[column]
        if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_datetime64_any_dtype(series):
            continue
        sample = series.dropna().head(SAMPLE_ROWS)
        if sample.empty or not _digits_or_blanks(sample) or parse_numbers(sample, decimal_comma)[1].any():
            continue
        values, junk = parse_numbers(series, decimal_comma)
        if not junk.any():
            frame[column] = values.mask(blank_cells(series.astype("str")))


def _digits_or_blanks(sample: pd.Series) -> bool:
    """A cheap pre-check in plain Python: a column with a cell holding no digit (a name) is text, and
    skips the vectorised number parse, whose fixed cost dominates on a wide file."""
    return all(any(c.isdigit() for c in str(v)) or str(v).strip().lower() in BLANK_TOKENS for v in sample)


def ingest_campaigns(
    table: RawTable, mapping: dict[str, str], name: str, assumptions: dict[str, float] | None
) -> dict[str, Any]:
    values = _assumptions(assumptions)
    raw = table.frame
    kept = {h: c for h, c in mapping.items() if c != IGNORED}
    if not set(kept.values()) & set(CAMPAIGN_MEASURES):
        shown = ", ".join(str(h) for h in list(raw.columns)[:8])
        raise IngestError(
            "No recognisable measure columns (spend, impressions, clicks, conversions, revenue, reach or "
            f"engagement) were found; the header has: {shown}."
        )
    frame = raw[list(kept)].set_axis(list(kept.values()), axis=1)
    drops = _Drops(len(frame))
    drops.add("empty row", raw.isna().all(axis=1))
    text_columns = [c for c in frame.columns if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c])]
    drops.add("summary row", _summary_rows(frame, text_columns))
    estimated: list[str] = []
    used: dict[str, float] = {}
    if "date" in frame.columns:
        frame["date"], blank, bad = parse_dates(frame["date"])
        drops.add("missing date", blank)
        drops.add("unparseable date", bad)
    else:
        frame["date"] = _report_date(values["report_date"])
        estimated.append("date")
        used["report_date"] = values["report_date"]
    _campaign_measures(frame, table.decimal_comma, drops)
    if drops.dropped.any():
        frame = frame.loc[~drops.dropped].reset_index(drop=True)
    _refuse_without_numbers(frame)
    more, more_used = _estimate_measures(frame, values)
    estimated += more
    used |= more_used
    _campaign_dimensions(frame, infer_platform(list(raw.columns), name))
    extras = [c for c in frame.columns if c not in CAMPAIGN_DIMENSIONS and c not in CAMPAIGN_MEASURES]
    _numeric_extras(frame, extras, table.decimal_comma)
    frame = _order_columns(frame, mapping)
    if len(frame):
        unknown = frame[[m for m in CAMPAIGN_MEASURES if m in frame.columns]].isna()
        frame = tidy_campaigns(_validate(frame, SCHEMAS["campaigns"]))
        frame[list(unknown.columns)] = frame[list(unknown.columns)].mask(unknown)  # tidy zero-fills; keep unknown
    platforms = sorted(str(p) for p in frame["platform"].unique()) if len(frame) else []
    parts = {"frame": frame, "drops": drops, "estimated": estimated, "assumptions": used, "platforms": platforms}
    return parts | {"missing": missing_counts(frame)}


# --------------------------------------------------------------------------- influencer tables


def ingest_influencer_kind(kind: str, table: RawTable, mapping: dict[str, str]) -> dict[str, Any]:
    schema = SCHEMAS[kind]
    required = [name for name, column in schema.columns.items() if not column.nullable]
    kept = {h: c for h, c in mapping.items() if c != IGNORED}
    missing = [c for c in required if c not in kept.values()]
    if missing:
        raise IngestError(f"This looks like a {kind} table but it has no {', '.join(missing)} column.")
    raw = table.frame
    frame = raw[list(kept)].set_axis(list(kept.values()), axis=1)
    drops = _Drops(len(frame))
    drops.add("empty row", raw.isna().all(axis=1))
    if "date" in frame.columns:
        frame["date"], blank, bad = parse_dates(frame["date"])
        drops.add("missing date", blank)
        drops.add("unparseable date", bad)
    for column in INFLUENCER_IDS[kind]:
        drops.add("missing id", frame[column].isna())
    if "group" in frame.columns:
        frame["group"] = _group_values(frame["group"])
        drops.add("group not 0 or 1", frame["group"].isna())
    numeric = [
        n
        for n, c in schema.columns.items()
        if str(c.dtype).startswith(("int", "float")) and n in frame and n != "group"
    ]
    bad = np.zeros(len(frame), dtype=bool)
    unknown = np.zeros(len(frame), dtype=bool)
    for column in numeric:
        frame[column], junk = parse_numbers(frame[column], table.decimal_comma)
        bad |= junk.to_numpy()
        unknown |= frame[column].isna().to_numpy() & ~junk.to_numpy()
    drops.add("unparseable number", bad | _bad_integers(frame))
    drops.add("missing number", unknown)  # "n/a" followers or payout: these tables have no room for unknowns
    amounts = [n for n in numeric if n not in ID_COLUMNS]  # long numeric ids are legitimate
    drops.add("number too large", (frame[amounts].abs() > MAX_NUMBER).any(axis=1))
    drops.add("negative number", (frame[numeric] < 0).any(axis=1))
    _influencer_vocabularies(kind, frame, drops)
    frame = frame.loc[~drops.dropped].reset_index(drop=True)
    for column in INFLUENCER_INTS:
        if column in frame.columns:
            frame[column] = frame[column].round().astype("int64")
    frame = frame[[*[c for c in schema.columns if c in frame], *[c for c in frame if c not in schema.columns]]]
    if len(frame):
        frame = _validate(frame, schema)
    return {"frame": frame, "drops": drops, "estimated": [], "assumptions": {}, "platforms": [], "missing": {}}


def _bad_integers(frame: pd.DataFrame) -> np.ndarray:
    """Ids that are not whole numbers (1.5 would silently become 1), and integer cells that overflow int64."""
    bad = np.zeros(len(frame), dtype=bool)
    for column in INFLUENCER_INTS:
        if column in frame.columns and pd.api.types.is_numeric_dtype(frame[column]):
            values = frame[column].to_numpy(dtype="float64")
            with np.errstate(invalid="ignore"):
                bad |= np.abs(values) >= INT64_LIMIT
                if column in ID_COLUMNS:  # "475.8m" followers is a rounded count, not an id
                    bad |= np.isfinite(values) & (values % 1 != 0)
    return bad


def _group_values(series: pd.Series) -> pd.Series:
    """0/1, also from words like exposed/control; anything else is NaN and dropped."""
    text = series.astype("str").str.strip().str.lower().str.replace(r"\.0$", "", regex=True)
    return text.map(GROUP_VALUES).astype("float64").where(series.notna())


def _influencer_vocabularies(kind: str, frame: pd.DataFrame, drops: _Drops) -> None:
    if kind == "influencers":
        frame["influencer_type"] = frame["influencer_type"].astype("str").str.strip().str.title()
        drops.add("unknown influencer type", ~frame["influencer_type"].isin(INFLUENCER_TYPES))
    if kind == "payouts":
        frame["basis"] = frame["basis"].astype("str").str.strip().str.lower()
        drops.add("unknown payout basis", ~frame["basis"].isin(PAYOUT_BASES))
    if kind in UNIQUE_IDS:
        column = UNIQUE_IDS[kind]
        drops.add("duplicate id", frame[column].where(~drops.dropped).duplicated() & frame[column].notna())
