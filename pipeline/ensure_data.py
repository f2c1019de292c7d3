"""`python -m pipeline ensure-data`: make sure a demo data folder is complete and readable, fast when it is.

The full check (pipeline.datasets.demo_data_problem) reads and validates every table: about 2 s on the 50k
demo, most of it importing pandas and pandera. After it passes, or after a repair, each demo file's size and
modification time is recorded in .demo-data.checked.json. While they are unchanged the next run answers "ok"
from that record without importing pandas (about 0.1 s), so `make run` and `make test` stay quick; any change
to a demo file brings the full check back. This module imports only the standard library until then.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from pipeline import config
from pipeline.cli import CliError, data_dir_arg

STAMP_FILE = ".demo-data.checked.json"
# Bump when the checks change, so folders passed by older checks are checked again.
STAMP_VERSION = 1
STAMPED_FILES = (*config.DEMO_FILES, "campaigns.parquet")


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


def command_ensure_data(args: argparse.Namespace) -> dict[str, Any]:
    """Check the demo folder; generate it when empty, repair it when anything is missing or unreadable.

    Returns status ("ok", "generated" or "repaired"), a one-sentence message, the folder, and where the
    previous files were kept after a repair (else null)."""
    directory = data_dir_arg(args.data)
    if directory.exists() and not directory.is_dir():
        raise CliError(f"{directory} is a file, not a data folder.")
    if unchanged_since_check(directory):
        return _result("ok", f"The demo data in {directory} is unchanged since its last full check.", directory)
    from pipeline import datasets  # pandas and pandera load only when a full check is needed

    signature = files_signature(directory)  # taken before the check: a change during it is caught next time
    if datasets.demo_data_problem(directory) is None:
        record_check(directory, signature)
        return _result("ok", f"The demo data in {directory} is complete and readable.", directory)
    repair = datasets.repair_demo_data(directory)
    record_check(directory, files_signature(directory))
    return _result(repair.status, repair.message, directory, repair.moved_to)


def _result(status: str, message: str, directory: Path, moved_to: Path | None = None) -> dict[str, Any]:
    return {
        "status": status,
        "message": message,
        "directory": str(directory),
        "moved_to": str(moved_to) if moved_to is not None else None,
    }
