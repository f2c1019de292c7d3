"""The record that lets `python -m pipeline ensure-data` answer fast when the demo folder is unchanged.

The full check (pipeline.inputs.demo.demo_data_problem) reads and validates every table: about 2 s on the 50k
demo, most of it importing pandas and pandera. After it passes, or after a repair, each demo file's size and
modification time is recorded in .demo-data.checked.json. While they are unchanged the next run answers "ok"
from that record without importing pandas (about 0.1 s), so `make run` and `make test` stay quick; any change
to a demo file brings the full check back. This module imports only the standard library until then.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from pipeline import config

STAMP_FILE = ".demo-data.checked.json"
# Bump when the checks change, so folders passed by older checks are checked again.
STAMP_VERSION = 1
STAMPED_FILES = (*config.DEMO_FILES, config.CAMPAIGNS_PARQUET)


def files_signature(directory: Path) -> dict[str, list[int]]:
    """{file name: [size, mtime_ns]} for each demo file present (campaigns.parquet included when there)."""
    signature = {}
    for name in STAMPED_FILES:
        try:
            stat = (directory / name).stat()
        except OSError:
            continue
        signature[name] = [stat.st_size, stat.st_mtime_ns]
    return signature


def _stamp(signature: dict[str, list[int]]) -> dict[str, Any]:
    return {"version": STAMP_VERSION, "files": signature}


def unchanged_since_check(directory: Path) -> bool:
    """True when every demo file is exactly as it was when a full check last passed in `directory`."""
    try:
        recorded = json.loads((directory / STAMP_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    signature = files_signature(directory)
    return all(name in signature for name in config.DEMO_FILES) and recorded == _stamp(signature)


def record_check(directory: Path, signature: dict[str, list[int]]) -> None:
    """Write the stamp atomically (a temporary file, then a rename), so a reader never sees half of it."""
    handle, tmp = tempfile.mkstemp(dir=directory, prefix=f"{STAMP_FILE}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(_stamp(signature), out)
        os.replace(tmp, directory / STAMP_FILE)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
