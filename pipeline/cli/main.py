"""`python -m pipeline COMMAND`: automation and checks.

With --json each command prints one JSON object on stdout. Bad input exits 2 with a
single `error: ...` line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pipeline import config
from pipeline.cli import plan_command
from pipeline.cli.options import CliError

# command -> "module:function"; each handler takes the parsed args and returns a JSON-able dict.
HANDLERS: dict[str, str] = {
    "ingest": "pipeline.cli.commands:command_ingest",
    "kpis": "pipeline.cli.commands:command_kpis",
    "incrementality": "pipeline.cli.commands:command_incrementality",
    "train": "pipeline.cli.commands:command_train",
    "ensure-models": "pipeline.cli.commands:command_ensure_models",
    # Imports only the standard library until a full check is needed, so `make run` stays quick.
    "ensure-data": "pipeline.cli.ensure_data:command_ensure_data",
    "report": "pipeline.cli.commands:command_report",
    "predict": "pipeline.cli.commands:command_predict",
    "optimize-lines": "pipeline.cli.commands:command_optimize",
    "optimize": "pipeline.cli.plan_command:command_optimize",
    "plan": "pipeline.cli.plan_command:command_plan",
    "mmm": "pipeline.cli.mmm_command:command_mmm",
}


class OneLineParser(argparse.ArgumentParser):
    """Usage mistakes print a single `error:` line and exit 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        print(f"error: {message}", file=sys.stderr)
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="python -m pipeline", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)

    ingest = sub.add_parser("ingest", help="load an export and report what was kept")
    ingest.add_argument("file", type=Path)
    ingest.add_argument("--out", type=Path, help="write the canonical table as Parquet")
    ingest.add_argument("--json", action="store_true")

    kpis = sub.add_parser("kpis", help="KPIs of a campaign file grouped by dimensions")
    kpis.add_argument("file", type=Path, nargs="?", help="a campaign export (or, with --backend, its data)")
    kpis.add_argument("--by", default="", help="comma-separated dimensions, e.g. platform,device")
    add_backend_options(kpis, "--campaigns-table")
    kpis.add_argument("--json", action="store_true")

    incr = sub.add_parser("incrementality", help="exposed-vs-control iROAS for a folder of tracking data")
    incr.add_argument("directory", type=Path, nargs="?", help="folder with tracking_data.csv and payouts.csv")
    incr.add_argument("--expected-share", type=float, default=0.5, help="expected exposed share for the SRM test")
    add_backend_options(incr, "--tracking-table")
    incr.add_argument("--method", choices=("normal", "buckets"), help="interval at scale (default normal)")
    incr.add_argument("--json", action="store_true")

    add_folder_options(sub.add_parser("train", help="train and save every model"), ("--data", "--models", "--json"))
    data = sub.add_parser("ensure-data", help="check the demo data; generate or repair it when needed")
    add_folder_options(data, ("--data", "--json"))
    ensure = sub.add_parser("ensure-models", help="train models only if missing or invalid")
    add_folder_options(ensure, ("--data", "--models", "--json"))

    report = sub.add_parser("report", help="write a static HTML report")
    report.add_argument("--out", type=Path, required=True)
    report.add_argument("--data", type=Path, default=None)
    report.add_argument("--models", type=Path, default=None)

    predict = sub.add_parser("predict", help="forecast one spend scenario with 90%% intervals")
    predict.add_argument("--platform", required=True)
    predict.add_argument("--spend", type=float, required=True)
    predict.add_argument("--device", default=None)
    predict.add_argument("--campaign-type", default=None)
    predict.add_argument("--content-type", default=None)
    predict.add_argument("--ad-set", default=None, help="default: the most common ad set")
    predict.add_argument("--models", type=Path, default=None)
    predict.add_argument("--json", action="store_true")

    optimize = sub.add_parser(
        "optimize-lines", help="split a daily budget across the forecaster's lines to maximise an objective"
    )
    optimize.add_argument("--budget", type=float, required=True)
    optimize.add_argument("--objective", choices=("revenue", "conversions"), default="revenue")
    optimize.add_argument("--models", type=Path, default=None)
    optimize.add_argument("--json", action="store_true")

    plan_command.add_parsers(sub)

    media_mix = sub.add_parser("mmm", help="media mix model: what each channel brought, with 90%% intervals")
    add_folder_options(media_mix, ("--data", "--models", "--json"))
    media_mix.add_argument("--refit", action="store_true", help="fit again even when a cached fit matches")
    return parser


def add_folder_options(parser: argparse.ArgumentParser, options: tuple[str, ...]) -> None:
    """--data and --models folders (default: the app's) and the --json switch, as named in `options`."""
    for option in options:
        if option == "--json":
            parser.add_argument(option, action="store_true")
        else:
            parser.add_argument(option, type=Path, default=None)


def add_backend_options(parser: argparse.ArgumentParser, table_option: str) -> None:
    """--backend, the table option and --backend-url (pipeline.scale.backends; README "Scale out")."""
    parser.add_argument(
        "--backend",
        choices=config.BACKEND_KINDS,
        default=None,
        help="compute the sums in this engine (default: ANALYTICS_BACKEND or secrets.toml, else in memory)",
    )
    parser.add_argument(table_option, default=None, help="a Parquet/CSV path or table name in the backend")
    parser.add_argument("--backend-url", default=None, help="PostgreSQL URL or Spark master")


def resolve_handler(command: str) -> Callable[[argparse.Namespace], dict[str, Any]]:
    module_name, function_name = HANDLERS[command].split(":")
    return getattr(importlib.import_module(module_name), function_name)


def to_jsonable(value: Any) -> Any:
    """NaN and inf become null; numpy scalars become Python numbers."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def emit(result: dict[str, Any], as_json: bool) -> None:
    payload = to_jsonable(result)
    if as_json:
        print(json.dumps(payload, sort_keys=False))
        return
    for key, value in payload.items():
        print(f"{key}: {value}")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # usage error already printed, or --help
        return int(exc.code or 0)
    try:
        result = resolve_handler(args.command)(args)
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (OSError, ValueError) as exc:
        print(f"error: {exc}".splitlines()[0], file=sys.stderr)
        return 2
    emit(result, getattr(args, "json", False))
    return 0
