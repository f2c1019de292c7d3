"""`python -m pipeline mmm`: fit (or load the cached fit of) the media mix model on a data folder."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from pipeline.cli.options import CliError, data_dir_arg, models_dir_arg
from pipeline.inputs.demo import DemoDataError
from pipeline.inputs.ingest.errors import IngestError
from pipeline.modeling import mmm
from pipeline.modeling.mmm_data import MmmInputError
from pipeline.modeling.mmm_fit import MmmPosterior


def folder_posterior(data: Path | None, models: Path | None, refit: bool = False) -> MmmPosterior:
    """The media mix fit cached for the data folder (fitted first when there is none, or with `refit`)."""
    data_dir, models_dir = data_dir_arg(data), models_dir_arg(models)
    if not data_dir.is_dir():
        raise CliError(f"The data folder {data_dir} does not exist.")
    try:
        dataset = mmm.dataset_from_folder(data_dir)
    except (MmmInputError, DemoDataError, IngestError) as exc:
        raise CliError(str(exc)) from exc
    return mmm.load_or_fit(models_dir, dataset, refit=refit)


def command_mmm(args: argparse.Namespace) -> dict[str, Any]:
    """Per-channel contribution, ROAS and marginal ROAS with 90% intervals, fit and diagnostics."""
    return mmm.summary(folder_posterior(args.data, args.models, refit=args.refit))
