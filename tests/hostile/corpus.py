"""A corpus of broken and hostile upload files, built in memory (and written to a tmp dir) at test time.

Each `HostileFile` says what a careful ingester must do with it: "refuse" (IngestError, one sentence)
or "accept" (a usable table, possibly with rows dropped for stated reasons). Where the outcome depends
on judgement rather than on the file being unusable, the expectation records what ingestion decided
and the test pins it, so a change of behaviour is noticed.
"""

from __future__ import annotations

import codecs
import gzip
import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

GOOD_HEADER = "date,platform,campaign,device,spend,impressions,clicks,conversions,revenue"
GOOD_ROWS = (
    "2025-01-01,Meta,Spring,Mobile,100.00,10000,200,10,500.00",
    "2025-01-02,TikTok,Summer,Desktop,50.50,4000,80,4,120.00",
    "2025-01-03,Meta,Spring,Tablet,25.25,2500,30,1,60.00",
)
SCRIPT_NAME = "<script>alert(1)</script>"
FORMULA_NAME = "=cmd|' /C calc'!A0"


@dataclass(frozen=True)
class HostileFile:
    slug: str  # test id
    filename: str  # the name the upload arrives with
    content: bytes
    expect: str  # "refuse" | "accept"
    why: str  # what the file is, in a few words
    rows_kept: int | None = None  # pinned for accepted files where the answer is known
    dropped: dict[str, int] = field(default_factory=dict)  # pinned drop reasons (subset check)
    campaigns: tuple[str, ...] = ()  # campaign names that must survive verbatim


def _csv(*lines: str, newline: str = "\n") -> bytes:
    return (newline.join(lines) + newline).encode("utf-8")


def _good(*extra: str) -> bytes:
    return _csv(GOOD_HEADER, *GOOD_ROWS, *extra)


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():  # a fixed timestamp keeps the bytes deterministic
            archive.writestr(zipfile.ZipInfo(name, date_time=(2025, 1, 1, 0, 0, 0)), data)
    return buffer.getvalue()


def _xlsx() -> bytes:
    """The skeleton of an Excel workbook: what a user uploads when they forget to save as CSV."""
    return _zip(
        {
            "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/"/>',
            "xl/workbook.xml": b'<?xml version="1.0"?><workbook/>',
            "xl/worksheets/sheet1.xml": b'<?xml version="1.0"?><worksheet><sheetData/></worksheet>',
        }
    )


def _parquet(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def _good_frame() -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(_good()))


def _png() -> bytes:
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00" + bytes(64)


def build_corpus() -> list[HostileFile]:
    """Every hostile file, in a fixed order (deterministic bytes: seeded randomness only)."""
    rng = np.random.default_rng(8)
    random_bytes = rng.integers(0, 256, 4096, dtype=np.uint8).tobytes()
    long_name = "x" * 1_000_000
    many_columns = ",".join([GOOD_HEADER, *(f"extra_{i}" for i in range(5_000))])
    many_values = ",".join([GOOD_ROWS[0], *("1" for _ in range(5_000))])
    wide_columns = ",".join([GOOD_HEADER, *(f"extra_{i}" for i in range(300))])
    wide_values = ",".join([GOOD_ROWS[0], *("x" for _ in range(300))])
    far_dates = _good_frame().assign(date=pd.to_datetime(["2025-01-01", "9999-12-31", "2025-01-03"]).astype("M8[us]"))
    return [
        # ---- not a table at all
        HostileFile("empty", "empty.csv", b"", "refuse", "zero bytes"),
        HostileFile("whitespace", "blank.csv", b"  \n\n\t\r\n  ", "refuse", "only whitespace"),
        HostileFile("bom_only", "bom.csv", codecs.BOM_UTF8, "refuse", "a UTF-8 byte-order mark and nothing else"),
        HostileFile("header_only", "header.csv", _csv(GOOD_HEADER), "refuse", "header row, no data rows"),
        HostileFile("binary_random", "random.csv", random_bytes, "refuse", "4 KB of random bytes"),
        HostileFile("png", "chart.csv", _png(), "refuse", "a PNG image renamed .csv"),
        HostileFile(
            "html", "report.csv", b"<!DOCTYPE html><html><body><table></table></body></html>", "refuse", "HTML"
        ),
        HostileFile("xml", "report.csv", b'<?xml version="1.0"?><rows><row a="1"/></rows>', "refuse", "XML"),
        HostileFile("json", "report.csv", json.dumps([{"spend": 1, "clicks": 2}]).encode(), "refuse", "JSON array"),
        HostileFile("zip", "export.csv", _zip({"export.csv": _good()}), "refuse", "a ZIP holding a good CSV"),
        HostileFile("xlsx", "export.xlsx", _xlsx(), "refuse", "Excel .xlsx bytes"),
        HostileFile("xls", "export.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512), "refuse", "old .xls bytes"),
        HostileFile("gzip", "export.csv", gzip.compress(_good(), mtime=0), "refuse", "a gzipped CSV"),
        HostileFile("pdf", "export.csv", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "refuse", "PDF"),
        HostileFile(
            "parquet_truncated", "data.csv", _parquet(_good_frame())[:200], "refuse", "a Parquet file cut short"
        ),
        HostileFile("nul_bytes", "nul.csv", _good().replace(b"Spring", b"Spr\x00ing", 1), "refuse", "NUL bytes"),
        # ---- tables with nothing usable
        HostileFile(
            "no_measures", "dims.csv", _csv("date,platform,campaign", "2025-01-01,Meta,A"), "refuse", "no measure"
        ),
        HostileFile(
            "foreign_header",
            "bericht.csv",
            _csv("日付,キャンペーン,費用", "2025-01-01,春,100"),
            "refuse",
            "Japanese header",
        ),
        HostileFile(
            "all_text_numbers",
            "text.csv",
            _csv(GOOD_HEADER, "2025-01-01,Meta,A,Mobile,lots,many,some,few,plenty"),
            "refuse",
            "text in every number column",
        ),
        HostileFile(
            "all_bad_dates",
            "dates.csv",
            _csv(GOOD_HEADER, "yesterday,Meta,A,Mobile,1,10,1,0,0", "soon,Meta,A,Mobile,1,10,1,0,0"),
            "refuse",
            "no parseable date",
        ),
        HostileFile(
            "clicks_over_impressions",
            "impossible.csv",
            _csv(GOOD_HEADER, "2025-01-01,Meta,A,Mobile,1,10,50,0,0"),
            "refuse",
            "every row has clicks > impressions",
        ),
        HostileFile(
            "broken_quoting",
            "quote.csv",
            _csv(GOOD_HEADER, '2025-01-01,Meta,"Spring,Mobile,1,10,1,0,0', "2025-01-02,Meta,B,Mobile,1,10,1,0,0"),
            "refuse",
            "a quote never closed",
        ),
        HostileFile(
            "ragged_long_rows",
            "ragged.csv",
            _good("2025-01-04,Meta,C,Mobile,1,10,1,0,0,9,9,9"),
            "refuse",
            "a row with more fields than the header",
        ),
        HostileFile(
            "influencer_ids_overflow",
            "influencers.csv",
            _csv(
                "id,name,platform,category,gender,influencer_type,follower_count",
                "99999999999999999999999,A,Instagram,Food,Female,Nano,100",
            ),
            "refuse",
            "an influencer id beyond int64",
        ),
        HostileFile(
            "blank_date_column",
            "nodates.csv",
            b"clicks,start date\n,",
            "refuse",
            "a date column with no value at all (found by hypothesis: an IndexError)",
        ),
        HostileFile(
            "only_delimiters",
            "commas.csv",
            _csv(GOOD_HEADER, ",,,,,,,,", ",,,,,,,,"),
            "refuse",
            "data rows made only of delimiters",
        ),
        # ---- odd but usable
        HostileFile(
            "european_semicolons",
            "eu.csv",
            _csv(
                "Datum;Kampagne;Plattform;Kosten;Impressionen;Klicks",
                "01.02.2025;Frühling;Meta;1.234,50;10.000;200",
                "02.02.2025;Frühling;Meta;99,95;5.000;80",
            ),
            "accept",
            "German headers, decimal commas, day-first dates",
            rows_kept=2,
            campaigns=("Frühling",),
        ),
        HostileFile(
            "title_lines_and_totals",
            "google.csv",
            _csv(
                "Campaign performance report",
                '"March 1, 2025 - March 3, 2025"',
                "Day,Campaign,Cost,Impr.,Clicks,Conversions,Conv. value",
                '2025-03-01,Search,"1,234.56","12,345",678,12.00,"2,400.00"',
                'Total: Account,,"1,234.56","12,345",678,12.00,"2,400.00"',
            ),
            "accept",
            "Google Ads title lines above the header and a Total row",
            rows_kept=1,
            dropped={"summary row": 1},
        ),
        HostileFile(
            "emoji_and_bidi_names",
            "names.csv",
            _good("2025-01-04,Meta,🚀 Launch \u202eevil\u202c,Mobile,1,10,1,0,0"),
            "accept",
            "emoji and right-to-left override characters in a name",
            rows_kept=4,
            campaigns=("🚀 Launch \u202eevil\u202c",),
        ),
        HostileFile("one_row", "one.csv", _csv(GOOD_HEADER, GOOD_ROWS[0]), "accept", "a single row", rows_kept=1),
        HostileFile(
            "ragged_short_rows",
            "short.csv",
            _good("2025-01-04,Meta,C,Mobile,1"),
            "accept",
            "a row with fewer fields (blank measures mean zero)",
            rows_kept=4,
        ),
        HostileFile(
            "duplicate_headers",
            "dup.csv",
            _csv("date,campaign,spend,spend,clicks,impressions", "2025-01-01,A,1,2,3,10"),
            "accept",
            "spend twice",
            rows_kept=1,
        ),
        HostileFile(
            "mixed_delimiters",
            "mixed.csv",
            _good("2025-01-04;Meta;C;Mobile;1;10;1;0;0"),
            "accept",
            "one row written with semicolons",
            rows_kept=3,
            dropped={"summary row": 1},  # the whole line lands in the date cell, every dimension blank
        ),
        HostileFile(
            "text_in_numbers",
            "junk.csv",
            _good("2025-01-04,Meta,C,Mobile,twelve,10,1,0,0", "2025-01-05,Meta,C,Mobile,1,10,1,0,#REF!"),
            "accept",
            "text cells in number columns",
            rows_kept=3,
            dropped={"unparseable number": 2},
        ),
        HostileFile(
            "inf_nan_cells",
            "inf.csv",
            _good("2025-01-04,Meta,C,Mobile,inf,10,1,0,0", "2025-01-05,Meta,C,Mobile,-inf,10,1,0,NaN"),
            "accept",
            "inf and NaN typed into number cells",
            rows_kept=3,
            dropped={"unparseable number": 2},
        ),
        HostileFile(
            "dates_many_formats",
            "dates.csv",
            _csv(
                GOOD_HEADER,
                "2025-01-02,Meta,A,Mobile,1,10,1,0,0",
                "2025/01/03,Meta,A,Mobile,1,10,1,0,0",
                "Jan 4 2025,Meta,A,Mobile,1,10,1,0,0",
                "5 January 2025,Meta,A,Mobile,1,10,1,0,0",
                "2025-01-06T10:00:00Z,Meta,A,Mobile,1,10,1,0,0",
                "2025-01-07 00:00:00,Meta,A,Mobile,1,10,1,0,0",
                "9999-12-31,Meta,A,Mobile,1,10,1,0,0",
                "0001-01-01,Meta,A,Mobile,1,10,1,0,0",
            ),
            "accept",
            "dates in many layouts, and dates outside the representable range",
            rows_kept=6,
            dropped={"unparseable date": 2},
        ),
        HostileFile(
            "negative_numbers",
            "neg.csv",
            _good("2025-01-04,Meta,C,Mobile,-5,10,1,0,0", "2025-01-05,Meta,C,Mobile,(5.00),10,1,0,0"),
            "accept",
            "negative spend, also accountant-style (5.00)",
            rows_kept=3,
            dropped={"negative money": 2},
        ),
        HostileFile(
            "huge_numbers",
            "huge.csv",
            _good("2025-01-04,Meta,C,Mobile,1e308,1e308,1,0,1e308", "2025-01-05,Meta,C,Mobile,1e308,1e308,1,0,1e308"),
            "accept",
            "numbers whose sum overflows a float",
            rows_kept=3,
            dropped={"number too large": 2},
        ),
        HostileFile(
            "all_zero_spend",
            "zero.csv",
            _csv(GOOD_HEADER, *(r.replace(r.split(",")[4], "0", 1) for r in GOOD_ROWS)),
            "accept",
            "spend zero on every row",
            rows_kept=3,
        ),
        HostileFile(
            "all_zero_payouts",
            "payouts.csv",
            _csv("influencer_id,basis,rate,orders,total_payout", "1,post,0,0,0", "2,order,0,5,0"),
            "accept",
            "every payout zero",
            rows_kept=2,
        ),
        HostileFile(
            "every_measure_blank",
            "blank_measures.csv",
            _csv(GOOD_HEADER, "2025-01-01,Meta,A,Mobile,,,,,", "2025-01-02,Meta,A,Mobile,,,,,"),
            "accept",
            "every measure cell blank (Meta writes zero as blank)",
            rows_kept=2,
        ),
        HostileFile(
            "script_names",
            "xss.csv",
            _good(f"2025-01-04,Meta,{SCRIPT_NAME},Mobile,1,10,1,0,0"),
            "accept",
            "an HTML script tag as a campaign name",
            rows_kept=4,
            campaigns=(SCRIPT_NAME,),
        ),
        HostileFile(
            "formula_cells",
            "formula.csv",
            _good(f'2025-01-04,Meta,"{FORMULA_NAME}",Mobile,1,10,1,0,0', "2025-01-05,Meta,@SUM(A1),Mobile,1,10,1,0,0"),
            "accept",
            "spreadsheet formulas as campaign names",
            rows_kept=5,
            campaigns=(FORMULA_NAME, "@SUM(A1)"),
        ),
        HostileFile(
            "latin1",
            "latin1.csv",
            (GOOD_HEADER + "\n2025-01-01,Meta,Café Crème,Mobile,1,10,1,0,0\n").encode("cp1252"),
            "accept",
            "cp1252 instead of UTF-8",
            rows_kept=1,
            campaigns=("Café Crème",),
        ),
        HostileFile(
            "invalid_utf8",
            "bad_utf8.csv",
            _good() + b"2025-01-04,Meta,Bad \xff\xfe bytes,Mobile,1,10,1,0,0\n",
            "accept",
            "UTF-8 with invalid bytes",
            rows_kept=4,
        ),
        HostileFile(
            "utf16_tabs",
            "google.csv",
            codecs.BOM_UTF16_LE
            + ("\r\n".join(line.replace(",", "\t") for line in (GOOD_HEADER, *GOOD_ROWS))).encode("utf-16-le"),
            "accept",
            "UTF-16 with tabs and CRLF (a Google Ads download)",
            rows_kept=3,
        ),
        HostileFile(
            "crlf", "windows.csv", _csv(GOOD_HEADER, *GOOD_ROWS, newline="\r\n"), "accept", "CRLF", rows_kept=3
        ),
        HostileFile(
            "very_long_line",
            "long.csv",
            _good(f"2025-01-04,Meta,{long_name},Mobile,1,10,1,0,0"),
            "accept",
            "a 1 MB campaign name",
            rows_kept=4,
        ),
        HostileFile("many_columns", "wide.csv", _csv(many_columns, many_values), "refuse", "5,000 extra columns"),
        HostileFile(
            "wide_but_fine", "wide.csv", _csv(wide_columns, wide_values), "accept", "300 extra columns", rows_kept=1
        ),
        HostileFile(
            "quoted_newlines",
            "multiline.csv",
            _good('2025-01-04,Meta,"Line one\nline two",Mobile,1,10,1,0,0'),
            "accept",
            "a quoted campaign name containing a newline",
            rows_kept=4,
            campaigns=("Line one\nline two",),
        ),
        HostileFile(
            "repeated_header",
            "concat.csv",
            _good(GOOD_HEADER, *GOOD_ROWS),
            "accept",
            "two exports pasted together, header repeated",
            rows_kept=6,
            dropped={"unparseable date": 1},
        ),
        HostileFile(
            "parquet_renamed",
            "data.csv",
            _parquet(_good_frame()),
            "accept",
            "a Parquet file renamed .csv",
            rows_kept=3,
        ),
        HostileFile(
            "parquet_far_dates",
            "data.csv",
            _parquet(far_dates),
            "accept",
            "a Parquet date column holding 9999-12-31",
            rows_kept=2,
            dropped={"unparseable date": 1},
        ),
        HostileFile(
            "fractional_ids",
            "influencers.csv",
            _csv(
                "id,name,platform,category,gender,influencer_type,follower_count",
                "1,A,Instagram,Food,Female,Nano,475.8k",
                "1.5,B,Instagram,Food,Male,Nano,100",
            ),
            "accept",
            "an influencer id 1.5 (would silently become 1)",
            rows_kept=1,
            dropped={"unparseable number": 1},
        ),
        HostileFile(
            "tracking_bad_groups",
            "tracking.csv",
            _csv(
                "source,campaign,influencer_id,user_id,product,date,orders,revenue,group",
                "Instagram,C1,1,100,P,2025-01-01,1,10.0,1",
                "Instagram,C1,1,101,P,2025-01-01,1,10.0,2",
                "Instagram,C1,1,102,P,2025-01-01,1,10.0,control",
            ),
            "accept",
            "a tracking group that is neither 0 nor 1",
            rows_kept=2,
            dropped={"group not 0 or 1": 1},
        ),
    ]


def write_corpus(directory: Path, corpus: list[HostileFile] | None = None) -> dict[str, Path]:
    """Write every file under `directory/<slug>/<filename>`; returns slug -> path."""
    paths = {}
    for item in corpus or build_corpus():
        folder = directory / item.slug
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / item.filename
        path.write_bytes(item.content)
        paths[item.slug] = path
    return paths
