"""Cell values: numbers and dates as exports write them, closed vocabularies (platform, device) and
total-row cells. Each parses every distinct value once, so repetitive columns stay cheap."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from pipeline.inputs.ingest.vocabulary import BLANK_TOKENS, MISSING_TOKENS, SCALE_SUFFIXES, STRIP_IN_NUMBERS

_FAST_STRIP_DOT = re.compile(r"[,\s$€£¥₹]")
_FAST_STRIP_COMMA = re.compile(r"[.\s$€£¥₹]")
_TOTAL_CELL = re.compile(r"^\s*(?:grand\s+)?totals?\s*(?::|$)", re.IGNORECASE)


def blank_cells(text: pd.Series) -> pd.Series:
    return text.isna() | text.str.strip().str.lower().isin(BLANK_TOKENS)


def per_value(series: pd.Series, test: Callable[[pd.Index], Any], missing: bool) -> np.ndarray:
    """A boolean test applied once per distinct value (cheap on big, repetitive columns)."""
    codes, uniques = pd.factorize(series)
    flags = np.asarray(test(pd.Index(uniques).astype("str")), dtype=bool) if len(uniques) else np.zeros(0, bool)
    return np.append(flags, missing)[codes]  # code -1 (missing) picks the trailing flag


def parse_numbers(series: pd.Series, decimal_comma: bool = False) -> tuple[pd.Series, pd.Series]:
    """Export cells to floats: thousands separators, decimal commas, currency, "%" (as a fraction),
    "(12.50)" as negative, "3.3k" / "475.8m" / "29.0b" scaled.

    Returns (values, mask of junk cells: non-blank, not a number and not a missing token). In the
    values an empty cell is 0 (Meta leaves zero cells empty), an explicit missing token ("n/a", "-",
    "null", ... MISSING_TOKENS) is NaN, and junk is NaN. So missing cells are `values.isna() & ~junk`.
    """
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
        values = series.astype("float64")
        bad = pd.Series(np.isinf(values.to_numpy()), index=series.index)
        return values.fillna(0.0).mask(bad, np.nan), bad
    text = series.astype("str")
    # Fast pass for the common shapes ("1,234.50", "$12"); only the leftovers take the full pass.
    fast = text.str.replace(_FAST_STRIP_COMMA if decimal_comma else _FAST_STRIP_DOT, "", regex=True)
    if decimal_comma:
        fast = fast.str.replace(",", ".", regex=False)
    values = pd.to_numeric(fast, errors="coerce").astype("float64")
    bad = pd.Series(False, index=series.index)
    rest = ~np.isfinite(values) & text.notna()  # "inf" parses but is no measure
    if rest.any():
        values[rest], bad[rest] = _parse_number_cells(text[rest], decimal_comma)
    return values.mask(text.isna(), 0.0), bad  # an empty cell (read as missing) is zero


def _parse_number_cells(text: pd.Series, decimal_comma: bool) -> tuple[pd.Series, pd.Series]:
    """The full pass: blanks, missing tokens, "(negatives)", percent, k/m/b suffixes and currency codes."""
    stripped = text.str.strip().str.lower()
    missing = stripped.isin(MISSING_TOKENS).fillna(False)
    blank = text.isna() | (stripped == "").fillna(False)
    cleaned = text.str.replace("−", "-", regex=False).str.replace(STRIP_IN_NUMBERS, "", regex=True)
    negative = cleaned.str.startswith("(") & cleaned.str.endswith(")")
    cleaned = cleaned.str.strip("()")
    percent = cleaned.str.endswith("%")
    cleaned = cleaned.str.rstrip("%")
    scale = cleaned.str.extract(r"([kKmMbB])$")[0].str.lower().map(SCALE_SUFFIXES).astype("float64").fillna(1.0)
    cleaned = cleaned.str.replace(r"(?<=\d)[kKmMbB]$", "", regex=True)
    if decimal_comma:
        cleaned = cleaned.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    else:
        cleaned = cleaned.str.replace(",", "", regex=False)
    values = pd.to_numeric(cleaned, errors="coerce").astype("float64") * scale
    values = values.where(~percent.fillna(False), values / 100.0).where(~negative.fillna(False), -values)
    bad = ~blank & ~missing & ~np.isfinite(values)
    return values.mask(blank, 0.0).mask(bad | missing, np.nan), bad


def _guess_dayfirst(texts: pd.Index) -> bool:
    """True when some date like 31/01/2025 or 31.01.2025 shows the day first."""
    parts = texts.str.extract(r"^\s*(\d{1,2})[./-](\d{1,2})[./-]\d{2,4}").dropna().astype(int)
    if parts.empty:
        return False
    if (parts[0] > 12).any():
        return True
    if (parts[1] > 12).any():
        return False
    return bool(texts.str.contains(r"^\s*\d{1,2}\.\d{1,2}\.", regex=True).any())


def parse_dates(series: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """datetime64[ns] values, a mask of blank cells and a mask of unparseable cells.

    Parses each distinct value once (a year of days is 365 values, whatever the row count):
    ISO first, then any other layout with day-first decided from the values themselves.
    """
    if pd.api.types.is_datetime64_any_dtype(series):
        values = series.dt.tz_localize(None) if series.dt.tz is not None else series
        out_of_range = values.notna() & ((values < pd.Timestamp.min) | (values > pd.Timestamp.max))
        values = values.mask(out_of_range).astype("datetime64[ns]")  # e.g. 9999-12-31 in a Parquet file
        return values, values.isna() & ~out_of_range, out_of_range
    codes, uniques = pd.factorize(series)
    texts = pd.Index(uniques).astype("str").str.strip()
    parsed = pd.Series(pd.NaT, index=range(len(texts)), dtype="datetime64[ns]")
    if len(texts):
        parsed = _to_datetime(texts, format="ISO8601")
        retry = parsed.isna().to_numpy() & ~texts.str.lower().isin(BLANK_TOKENS)
        if retry.any():
            again = _to_datetime(texts[retry], format="mixed", dayfirst=_guess_dayfirst(texts[retry]))
            parsed[retry] = again.to_numpy()
    # A trailing NaT / True that code -1 (a missing cell) picks: a column with no values at all has no uniques.
    unique_blank = np.append(np.asarray(texts.str.lower().isin(BLANK_TOKENS), dtype=bool), True)
    values = np.append(parsed.to_numpy(), np.datetime64("NaT", "ns"))[codes]
    blank = unique_blank[codes]
    result = pd.Series(values, index=series.index, dtype="datetime64[ns]")
    return result, pd.Series(blank, index=series.index), pd.Series(~blank & result.isna(), index=series.index)


def _to_datetime(texts: pd.Index, **options: Any) -> pd.Series:
    """pd.to_datetime on distinct texts, as naive datetime64[ns]; junk becomes NaT."""
    try:
        parsed = pd.to_datetime(texts, errors="coerce", utc=True, **options).tz_localize(None)
    except (ValueError, TypeError, OverflowError):
        return pd.Series(pd.NaT, index=range(len(texts)), dtype="datetime64[ns]")
    # pandas may parse 9999-12-31 or 0001-01-01 at a coarser unit; outside the ns range they are junk.
    in_range = (parsed >= pd.Timestamp.min) & (parsed <= pd.Timestamp.max)
    return pd.Series(parsed.where(in_range).astype("datetime64[ns]"), index=range(len(texts)))


def normalize_values(series: pd.Series, vocabulary: dict[str, str]) -> pd.Series:
    """Known spellings to the closed vocabulary (per distinct value); blanks stay missing."""
    codes, uniques = pd.factorize(series)
    keys = pd.Index(uniques).astype("str").str.strip()
    mapped = [vocabulary.get(re.sub(r"[^0-9a-z]+", " ", k.lower()).strip(), k) for k in keys]
    if list(keys) == list(uniques) and mapped == list(keys):
        return series  # already canonical: skip rebuilding a big column
    values = np.array([*mapped, None], dtype=object)[codes]  # code -1 picks the trailing None
    return pd.Series(values, index=series.index, dtype="str")


def matches_total(series: pd.Series) -> np.ndarray:
    """Cells like "Total: Account" or "Grand total"."""
    return per_value(series, lambda texts: texts.str.match(_TOTAL_CELL), missing=False)
