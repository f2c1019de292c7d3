"""CSV export that spreadsheets can open safely.

A text cell starting with = + - @ (or a tab or carriage return) is read by Excel, LibreOffice
and Google Sheets as a formula ("CSV injection"). Such text cells get a leading single quote.
Numeric columns are written as numbers, so a plain negative number stays a number. Numbers are written the way
a person reads them: a float column holding only whole numbers (counts summed as floats) as integers, "16318"
not "16318.0"; money rounded to cents, "4.5" not "4.499999999999999"; other ratios keep their precision.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# A column is money when its name is, or contains, one of these words (spend, revenue_per_user, total_payout).
MONEY_WORDS = ("spend", "revenue", "payout", "cost", "profit", "net_loss", "budget", "value", "baseline")
MONEY_NAMES = frozenset({"cpc", "cpa", "cpm", "cpe", "aov"})
# ...unless a word says it is a ratio or a share of money, which keeps its precision (roas, cost_share).
RATIO_WORDS = ("roas", "roi", "share", "rate", "lift", "ratio", "per_dollar")
CENTS = 2
# Appended to the header of a metric that rests on an assumption (mark_estimated_columns).
ESTIMATED_HEADER_SUFFIX = " (estimated)"


def defuse_cell(value: object) -> object:
    """'=1+1 for a text value that a spreadsheet would run; anything else unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _is_text(column: pd.Series) -> bool:
    dtype = column.dtype
    return (
        pd.api.types.is_object_dtype(dtype)
        or pd.api.types.is_string_dtype(dtype)
        or isinstance(dtype, pd.CategoricalDtype)
    )


def defuse_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` with every text cell defused; numeric, boolean and date columns untouched.

    Column names are defused too, because a header row is just as executable.
    """
    out = frame.copy()
    for name in out.columns:
        column = out[name]
        if _is_text(column):
            out[name] = column.astype("object").map(defuse_cell)
    out.columns = [defuse_cell(str(name)) for name in out.columns]
    return out


def is_money(name: object) -> bool:
    """True for a money column name: cpa, spend, total_payout, revenue_per_exposed_user; not roas or cost_share."""
    text = str(name).lower().removesuffix(ESTIMATED_HEADER_SUFFIX)
    if any(word in text for word in RATIO_WORDS):
        return False
    return text in MONEY_NAMES or any(word in text for word in MONEY_WORDS)


def _whole_numbers(values: np.ndarray) -> bool:
    """True when every value is missing or a whole number an integer holds exactly (no ±inf), and one is not."""
    present = values[~np.isnan(values)]
    return (
        bool(present.size)
        and bool(np.all(np.isfinite(present) & (present == np.round(present))))
        and bool(np.all(np.abs(present) < 2**53))
    )


def readable_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with money rounded to cents and float columns holding only whole numbers as nullable integers
    (missing values stay missing). Boolean, integer, text and date columns are untouched."""
    out = frame.copy()
    for name in out.columns:
        column = out[name]
        if not pd.api.types.is_float_dtype(column.dtype):
            continue
        if is_money(name):
            column = column.round(CENTS)
        if _whole_numbers(column.to_numpy(dtype="float64", na_value=np.nan)):
            column = column.astype("Int64")
        out[name] = column
    return out


def to_csv_bytes(frame: pd.DataFrame, index: bool = False) -> bytes:
    """UTF-8 CSV of the defused frame. Missing values are empty cells; dates are ISO 8601.

    Rows end in CRLF (RFC 4180) because Python's csv quotes only cells holding a character of the line
    terminator: with LF alone, a bare CR inside a cell ("x", CR, "=cmd()") went out unquoted, and a
    spreadsheet would start a new row at it, with the formula first, past the defusing.
    """
    safe = defuse_frame(readable_numbers(frame.reset_index() if index else frame))
    return safe.to_csv(index=False, lineterminator="\r\n", date_format="%Y-%m-%d").encode("utf-8")


def mark_estimated_columns(frame: pd.DataFrame, estimated: Collection[str]) -> pd.DataFrame:
    """A copy whose columns named in `estimated` (metrics resting on an assumption, e.g. revenue from conversions
    × an assumed order value) read "revenue (estimated)", so a downloaded table cannot pass for measured data.
    The money and ratio rules still apply: the header keeps its word."""
    renamed = {c: f"{c}{ESTIMATED_HEADER_SUFFIX}" for c in frame.columns if isinstance(c, str) and c in estimated}
    return frame.rename(columns=renamed) if renamed else frame
