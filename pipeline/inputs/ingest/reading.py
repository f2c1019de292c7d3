"""Bytes to a raw table: file-type sniffing (Excel, ZIP, PDF, HTML, JSON are refused by name), BOM and
UTF-16 detection, the header-row search, delimiter and decimal-comma detection, and the CSV (or Parquet) read."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.inputs.ingest.errors import IngestError
from pipeline.inputs.ingest.headers import detect_kind, map_headers, normalize_header
from pipeline.inputs.ingest.vocabulary import (
    HEAD_BYTES,
    HEADER_SEARCH_LINES,
    KNOWN_HEADERS,
    MAX_COLUMNS,
    SAMPLE_ROWS,
    STRIP_IN_NUMBERS,
)
from pipeline.schemas import CAMPAIGN_DIMENSIONS, CAMPAIGN_MEASURES

_FIELDS_ERROR = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")
_EOF_ERROR = re.compile(r"EOF inside string starting at row (\d+)")


@dataclass
class RawTable:
    """What reading hands to tables.py: the cells, and the decimal mark their numbers are parsed with."""

    frame: pd.DataFrame  # cells as parsed, source headers
    decimal_comma: bool


def read_source(source: str | Path | bytes, name: str) -> tuple[bytes, str]:
    """The bytes of an upload or a file, and the name used for format hints (the path's, if none is given)."""
    if isinstance(source, bytes | bytearray):
        return bytes(source), name
    path = Path(source)
    if not path.is_file():
        raise IngestError(f"File not found: {path}.")
    return path.read_bytes(), name or path.name


def _reject_binary(raw: bytes, name: str) -> None:
    """Clear messages for the non-CSV files people actually upload."""
    if not raw.strip():
        raise IngestError("This file is empty.")
    lowered = name.lower()
    if raw.startswith(b"PK\x03\x04"):
        if b"[Content_Types].xml" in raw[:4096] or b"xl/" in raw[:4096] or lowered.endswith((".xlsx", ".xlsm")):
            raise IngestError("This file is an Excel workbook; save it as CSV and upload the CSV.")
        raise IngestError("This file is a ZIP archive; unzip it and upload the CSV inside.")
    if raw.startswith(b"\xd0\xcf\x11\xe0"):
        raise IngestError("This file is an old Excel (.xls) workbook; save it as CSV and upload the CSV.")
    if raw.startswith(b"\x1f\x8b"):
        raise IngestError("This file is gzip-compressed; decompress it and upload the CSV inside.")
    if raw.startswith(b"%PDF"):
        raise IngestError("This file is a PDF document, not a CSV export.")


def _utf16_without_bom(head: bytes) -> str | None:
    """ "utf-16-le"/"utf-16-be" when half the bytes of a text file are NUL, else None."""
    sample = head[:2000]
    if len(sample) < 4:
        return None
    even_nuls, odd_nuls = sample[0::2].count(0), sample[1::2].count(0)
    half = len(sample) // 2
    if odd_nuls > 0.4 * half and even_nuls < 0.05 * half:
        return "utf-16-le"
    if even_nuls > 0.4 * half and odd_nuls < 0.05 * half:
        return "utf-16-be"
    return None


def _to_utf8(raw: bytes) -> bytes:
    """The text as UTF-8 without a byte-order mark (UTF-16 is transcoded; UTF-8 passes through)."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:]
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16").encode("utf-8")
    utf16 = _utf16_without_bom(raw)
    if utf16:
        return raw.decode(utf16, errors="replace").encode("utf-8")
    if b"\x00" in raw[:8192]:
        raise IngestError("This file is binary, not a CSV text export.")
    head = raw[:HEAD_BYTES]
    if len(raw) > HEAD_BYTES and b"\n" in head:
        head = head[: head.rfind(b"\n")]
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace").encode("utf-8")
    return raw


def _reject_markup(head: str) -> None:
    start = head.lstrip().lower()
    if start.startswith(("<!doctype html", "<html")) or "<html" in start[:1000]:
        raise IngestError("This file is an HTML web page, not a CSV export; download the report as CSV.")
    if start.startswith("<?xml"):
        raise IngestError("This file is XML, not CSV; export the report as CSV.")
    if start.startswith(("{", "[")):
        raise IngestError("This file is JSON, not CSV; export the report as CSV.")


def _split_cells(line: str, delimiter: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=delimiter), [])
    except csv.Error:
        return line.split(delimiter)


def find_header(lines: list[str]) -> tuple[int, str]:
    """(line index, delimiter) of the header row: the line naming the most known columns.

    Title lines above the header (Google Ads) name none. Without any known name, the first
    line split by whichever delimiter gives the most columns.
    """
    best = (0, 0, ",")  # (score, -index, delimiter)
    for delimiter in (",", ";", "\t"):
        for index, line in enumerate(lines[:HEADER_SEARCH_LINES]):
            cells = _split_cells(line, delimiter)
            score = sum(1 for cell in cells if normalize_header(cell) in KNOWN_HEADERS)
            if (score, -index) > best[:2]:
                best = (score, -index, delimiter)
    if best[0] > 0:
        return -best[1], best[2]
    first = next((i for i, line in enumerate(lines) if line.strip()), 0)
    counts = {d: len(_split_cells(lines[first], d)) if lines else 0 for d in (",", ";", "\t")}
    return first, max(counts, key=lambda d: counts[d])


def _detect_decimal_comma(values: list[str], delimiter: str) -> bool:
    """Vote from sample number cells: "12,5" or "1.234,56" say comma; "12.50" or "1,234.5" say dot.

    Cells like "1,234" or "1.234" are ambiguous and do not vote; a tie goes to the comma for
    semicolon files (European exports), else to the dot.
    """
    comma = dot = 0
    for raw_value in values:
        value = STRIP_IN_NUMBERS.sub("", raw_value).strip("()%kKmMbB")
        if not re.fullmatch(r"-?[\d.,]*\d", value or "x"):
            continue
        if "," in value and "." in value:
            comma, dot = (comma + 1, dot) if value.rfind(",") > value.rfind(".") else (comma, dot + 1)
        elif "," in value:
            comma += len(value.rsplit(",", 1)[1]) != 3 or value.count(",") == 0
        elif "." in value:
            tail = len(value.rsplit(".", 1)[1])
            dot += tail != 3 and value.count(".") == 1
            comma += value.count(".") > 1
    if comma != dot:
        return comma > dot
    return delimiter == ";"


def _parse_error(exc: Exception, header_line: int) -> IngestError:
    message = str(exc)
    fields = _FIELDS_ERROR.search(message)
    if fields:
        expected, line, saw = (int(g) for g in fields.groups())
        return IngestError(
            f"Line {line + header_line} has {saw} fields but the header has {expected}, "
            "so the delimiter or quoting is broken."
        )
    eof = _EOF_ERROR.search(message)
    if eof:
        return IngestError("The file has broken quoting: a quoted value is never closed.")
    return IngestError("The file could not be read as CSV: " + message.splitlines()[0].rstrip(".") + ".")


def _read_csv(
    body: bytes, delimiter: str, decimal_comma: bool, text_columns: list[str], header_line: int
) -> pd.DataFrame:
    options: dict[str, Any] = {
        "sep": delimiter,
        "decimal": "," if decimal_comma else ".",
        "dtype": dict.fromkeys(text_columns, "str"),
        "keep_default_na": False,  # a campaign called "NA" is a name, not a missing value
        "na_values": [""],
        "index_col": False,  # trailing delimiters must not turn the first column into the index
        "low_memory": False,
        "engine": "c",
    }
    try:
        try:
            return pd.read_csv(io.BytesIO(body), encoding="utf-8", **options)
        except UnicodeDecodeError:  # a non-UTF-8 byte beyond the sampled head
            return pd.read_csv(io.BytesIO(body), encoding="cp1252", **options)
    except pd.errors.EmptyDataError as exc:
        raise IngestError("This file is empty.") from exc
    except (pd.errors.ParserError, csv.Error) as exc:
        raise _parse_error(exc, header_line) from exc


def _reject_extra_fields(cells: list[str], sample: list[list[str]], header_index: int) -> None:
    """Rows with more fields than the header lose data; only an empty trailing field is harmless."""
    for position, row in enumerate(sample):
        if len(row) > len(cells) and not (len(row) == len(cells) + 1 and not row[-1].strip()):
            raise IngestError(
                f"Line {header_index + position + 2} has {len(row)} fields but the header has {len(cells)}, "
                "so the delimiter or quoting is broken."
            )


def _reject_too_many_columns(count: int) -> None:
    if count > MAX_COLUMNS:
        raise IngestError(
            f"This file has {count:,} columns, more than the {MAX_COLUMNS:,} any ad export has, so it is not a report."
        )


def read_table(raw: bytes, name: str = "", kind: str | None = None) -> RawTable:
    """The cells of a CSV-like export (or Parquet file) below its header row."""
    if raw.startswith(b"PAR1"):
        try:
            frame = pd.read_parquet(io.BytesIO(raw))
        except (OSError, ValueError) as exc:
            raise IngestError("This Parquet file could not be read.") from exc
        _reject_too_many_columns(len(frame.columns))
        categorical = [c for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype)]
        return RawTable(frame.astype(dict.fromkeys(categorical, "str")), decimal_comma=False)
    _reject_binary(raw, name)
    text = _to_utf8(raw)
    head = text[:HEAD_BYTES]
    if len(text) > HEAD_BYTES and b"\n" in head:
        head = head[: head.rfind(b"\n") + 1]
    byte_lines = head.split(b"\n")
    lines = [line.decode("utf-8", errors="replace").rstrip("\r") for line in byte_lines]
    _reject_markup("\n".join(lines[:20]))
    header_index, delimiter = find_header(lines)
    cells = _split_cells(lines[header_index], delimiter)
    _reject_too_many_columns(len(cells))
    mapping, _ = map_headers(cells, kind or detect_kind(cells))
    sample = [_split_cells(line, delimiter) for line in lines[header_index + 1 : header_index + 1 + SAMPLE_ROWS]]
    measure_positions = [i for i, h in enumerate(cells) if mapping[h] in CAMPAIGN_MEASURES]
    values = [row[i] for row in sample for i in measure_positions if i < len(row)]
    decimal_comma = _detect_decimal_comma(values, delimiter)
    text_columns = [h for h in cells if mapping[h] in CAMPAIGN_DIMENSIONS and h.strip()]
    _reject_extra_fields(cells, sample, header_index)
    offset = sum(len(line) + 1 for line in byte_lines[:header_index])
    frame = _read_csv(text[offset:], delimiter, decimal_comma, text_columns, header_index)
    return RawTable(frame, decimal_comma)
