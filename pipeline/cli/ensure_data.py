"""`python -m pipeline ensure-data`: standard library only until a full check is needed, so `make run` stays quick."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from pipeline.cli.options import CliError, data_dir_arg
from pipeline.inputs.demo_stamp import files_signature, record_check, unchanged_since_check


def command_ensure_data(args: argparse.Namespace) -> dict[str, Any]:
    """Check the demo folder; generate it when empty, repair it when anything is missing or unreadable.

    Returns status ("ok", "generated" or "repaired"), a one-sentence message, the folder, and where the
    previous files were kept after a repair (else null)."""
    directory = data_dir_arg(args.data)
    if directory.exists() and not directory.is_dir():
        raise CliError(f"{directory} is a file, not a data folder.")
    if unchanged_since_check(directory):
        return _result("ok", f"The demo data in {directory} is unchanged since its last full check.", directory)
    from pipeline.inputs import demo  # pandas and pandera load only when a full check is needed

    signature = files_signature(directory)  # taken before the check: a change during it is caught next time
    if demo.demo_data_problem(directory) is None:
        record_check(directory, signature)
        return _result("ok", f"The demo data in {directory} is complete and readable.", directory)
    repair = demo.repair_demo_data(directory)
    record_check(directory, files_signature(directory))
    return _result(repair.status, repair.message, directory, repair.moved_to)


def _result(status: str, message: str, directory: Path, moved_to: Path | None = None) -> dict[str, Any]:
    return {
        "status": status,
        "message": message,
        "directory": str(directory),
        "moved_to": str(moved_to) if moved_to is not None else None,
    }
