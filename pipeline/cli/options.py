"""What every command shares: the one-line CLI error and the default folders."""

from __future__ import annotations

from pathlib import Path

from pipeline import config


class CliError(Exception):
    """A problem with the user's input, reported as one line."""


def data_dir_arg(value: Path | None) -> Path:
    """The --data folder, defaulting to the app's data folder."""
    return value if value is not None else config.data_dir()


def models_dir_arg(value: Path | None) -> Path:
    """The --models folder, defaulting to the app's models folder."""
    return value if value is not None else config.models_dir()
