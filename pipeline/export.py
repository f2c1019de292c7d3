"""CSV export that spreadsheets can open safely.

A text cell starting with = + - @ (or a tab or carriage return) is read by Excel, LibreOffice
and Google Sheets as a formula ("CSV injection"). Such text cells get a leading single quote.
Numeric columns are written as numbers, so a plain negative number stays a number.
"""

from __future__ import annotations

import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


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


def to_csv_bytes(frame: pd.DataFrame, index: bool = False) -> bytes:
    """UTF-8 CSV of the defused frame. Missing values are empty cells; dates are ISO 8601.

    Rows end in CRLF (RFC 4180) because Python's csv quotes only cells holding a character of the line
    terminator: with LF alone, a bare CR inside a cell ("x", CR, "=cmd()") went out unquoted, and a
    spreadsheet would start a new row at it, with the formula first, past the defusing.
    """
    safe = defuse_frame(frame.reset_index() if index else frame)
    return safe.to_csv(index=False, lineterminator="\r\n", date_format="%Y-%m-%d").encode("utf-8")
