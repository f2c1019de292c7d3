"""The handlers behind `python -m pipeline COMMAND`: each takes the parsed arguments and returns a JSON-able dict.

Domain code raises its own errors (ValueError subclasses); here input mistakes become CliError, one line. The core of
each answer is a plain function in pipeline/cli/answers.py, which the REST API (api/) calls too.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline import config, kpis
from pipeline.cli import answers
from pipeline.cli.options import CliError, data_dir_arg, models_dir_arg
from pipeline.influencers import statistics as inc_stats
from pipeline.influencers.tracking import IncrementalityInputError, validate_payouts
from pipeline.modeling import artifacts, report, scores, store
from pipeline.scale import backends, campaign_sums, sums_stats, tracking_sums

# ---------------------------------------------------------------- ingest and kpis


def command_ingest(args: argparse.Namespace) -> dict[str, Any]:
    """`python -m pipeline ingest FILE [--out F.parquet] --json`: what was read, kept, dropped and mapped."""
    result = answers.ingest_path(args.file)
    summary = answers.ingest_summary(result)
    if getattr(args, "out", None) is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        result.frame.to_parquet(args.out, index=False)
        summary["out"] = str(args.out)
    return summary


def _file_kpis(args: argparse.Namespace) -> dict[str, Any]:
    result = answers.ingest_path(args.file)
    return answers.file_kpis(result, answers.split_dimensions(args.by), args.file.name)


def chosen_kind(args: argparse.Namespace) -> str | None:
    """The backend a command uses: --backend, else one named by the environment or secrets.toml, else None
    (the command's in-memory path)."""
    kind = getattr(args, "backend", None)
    if kind:
        return kind
    return config.settings_from_env().kind if config.backend_configured() else None


def cli_settings(
    args: argparse.Namespace, kind: str, location: Path | None, table_option: str
) -> config.BackendSettings:
    """Settings for a CLI run: the environment's for `kind`, then the positional FILE/DIR (a local path, used by
    DuckDB and Spark), --campaigns-table/--tracking-table and --backend-url on top."""
    base = config.settings_from_env({**os.environ, config.ENV_KIND: kind})
    target = "campaigns" if table_option == "campaigns_table" else "tracking"
    values = {"campaigns": base.campaigns, "tracking": base.tracking}
    if location is not None and kind != "postgres":
        values[target] = str(location)
    if getattr(args, table_option, None):
        values[target] = getattr(args, table_option)
    url = getattr(args, "backend_url", None) or base.url
    return config.BackendSettings(kind=kind, campaigns=values["campaigns"], tracking=values["tracking"], url=url)


def command_kpis(args: argparse.Namespace) -> dict[str, Any]:
    """`python -m pipeline kpis [FILE] --by DIMS [--backend KIND]`: ratio-of-sums KPIs per group and in total.

    Any export in memory unless a backend is chosen; then the sums come from that backend and the ratios are
    computed here. Same JSON shape either way, plus `backend` and `method` on the backend path."""
    kind = chosen_kind(args)
    if kind is None:
        if args.file is None:
            raise CliError("kpis needs a campaign FILE, or --backend to read a configured table.")
        return _file_kpis(args)
    settings = cli_settings(args, kind, args.file, "campaigns_table")
    by = answers.split_dimensions(args.by)
    campaign_sums.check_dimensions(by)
    with backends.plain_errors(settings):
        table = backends.campaign_table(backends.connect(settings), settings)
        sums = campaign_sums.campaign_sums(table, campaign_sums.EVERYTHING, by)
        totals = campaign_sums.campaign_sums(table)
    total = {key: float(value) for key, value in kpis.add_ratios(totals).iloc[0].items()}
    return {
        "rows": answers.kpi_records(kpis.add_ratios(sums), by),
        "total": answers.kpi_total(total),
        "backend": kind,
        "method": "ratio_of_sums",
    }


# ---------------------------------------------------------------- incrementality

# Kept here too for callers that import them from this module.
INFLUENCER_KEYS = answers.INFLUENCER_KEYS
incrementality_summary = answers.incrementality_summary


def _folder_incrementality(args: argparse.Namespace) -> dict[str, Any]:
    """Overall and per-influencer iROAS for DIR's CSVs, exact (user-level bootstrap)."""
    return answers.folder_incrementality(Path(args.directory), getattr(args, "expected_share", None))


def _payouts(directory: Path) -> pd.Series:
    """Total payout per influencer from DIR/payouts.csv (small: it stays local whatever the backend)."""
    path = directory / config.PAYOUTS_FILE
    if not path.is_file():
        raise CliError(f"{directory} has no {config.PAYOUTS_FILE}.")
    try:
        payouts = validate_payouts(answers.read_csv(path))
    except IncrementalityInputError as exc:
        raise CliError(str(exc)) from None
    return payouts.groupby("influencer_id")["total_payout"].sum()


def command_incrementality(args: argparse.Namespace) -> dict[str, Any]:
    """`python -m pipeline incrementality [DIR] [--backend KIND] [--method normal|buckets]`: the exact in-memory
    path unless a backend is chosen; then the tracking sums come from that backend (DIR's tracking data for
    DuckDB/Spark, else --tracking-table or the configured table), payouts from DIR/payouts.csv, and the interval
    from `method`. Same JSON, plus `backend` and `method`."""
    kind = chosen_kind(args)
    if kind is None:
        if args.directory is None:
            raise CliError("incrementality needs a folder of tracking data, or --backend to read a configured table.")
        return _folder_incrementality(args)
    directory = Path(args.directory) if args.directory is not None else config.data_dir()
    if not directory.is_dir():
        raise CliError(f"{directory} is not a folder.")
    share = answers.expected_share(getattr(args, "expected_share", None))
    method = getattr(args, "method", None) or sums_stats.DEFAULT_METHOD
    payouts = _payouts(directory)
    settings = cli_settings(args, kind, args.directory, "tracking_table")
    with backends.plain_errors(settings):
        table = backends.tracking_table(backends.connect(settings), settings)
        overall_sums = tracking_sums.tracking_sums(table)
        slice_sums = tracking_sums.tracking_sums(table, ("influencer_id",))
    overall = sums_stats.compare_from_sums(overall_sums.sums, float(payouts.sum()), method)
    if overall.problem:
        raise CliError(overall.problem)
    by_influencer = sums_stats.compare_slices(slice_sums.sums, "influencer_id", payouts, method)
    rows = {int(value): asdict(comparison) for value, comparison in by_influencer.items()}
    srm_p = inc_stats.srm_p_value(overall.exposed_users, overall.control_users, share)
    summary = sums_stats.SumsSummary(
        overall=overall,
        contaminated_users=overall_sums.contaminated_users,
        srm_p_value=srm_p,
        guardrails=sums_stats.guardrails_from_sums(overall, overall_sums, srm_p, share),
        stratified=sums_stats.stratified_from_sums(slice_sums.sums, payouts),
    )
    return {
        **incrementality_summary(summary, rows),
        "backend": kind,
        "method": method,
    }


# ---------------------------------------------------------------- models


def _folders(args: argparse.Namespace) -> tuple[Path, Path]:
    data_dir, models_dir = data_dir_arg(args.data), models_dir_arg(args.models)
    if not data_dir.is_dir():
        raise CliError(f"The data folder {data_dir} does not exist.")
    return data_dir, models_dir


def _run_training(args: argparse.Namespace, train: Callable[[Path, Path], dict[str, Any]]) -> tuple[Path, dict]:
    """`train(data_dir, models_dir)` on the command's folders; a training problem becomes one CLI line."""
    data_dir, models_dir = _folders(args)
    try:
        return models_dir, train(data_dir, models_dir)
    except ValueError as exc:
        raise CliError(str(exc)) from exc


def command_train(args: argparse.Namespace) -> dict[str, Any]:
    """`python -m pipeline train`: retrain and save every model, print their scores."""
    models_dir, done = _run_training(args, store.train_models)
    metadata = {name: artifacts.read_metadata(models_dir, name) for name in store.ALL_MODELS}
    return {**scores.train_summary(metadata), "models_dir": str(models_dir), "seconds": done["seconds"]}


def command_ensure_models(args: argparse.Namespace) -> dict[str, Any]:
    """`python -m pipeline ensure-models`: train only what is missing, invalid or stale."""
    models_dir, done = _run_training(args, store.ensure_models)
    return {**done, "models_dir": str(models_dir)}


def command_report(args: argparse.Namespace) -> dict[str, Any]:
    """`python -m pipeline report --out DIR`: write DIR/report.html (trains missing models first)."""
    data_dir, models_dir = data_dir_arg(args.data), models_dir_arg(args.models)
    try:
        store.ensure_models(data_dir, models_dir)
        bundle = store.load_models(models_dir)
        campaigns = store.read_training_data(data_dir)
        page = report.build_report(campaigns, bundle.metadata)
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "report.html"
    path.write_text(page, encoding="utf-8")
    return {"path": str(path), "images": page.count("data:image/png;base64,"), "bytes": len(page.encode())}


def command_predict(args: argparse.Namespace) -> dict[str, object]:
    """`python -m pipeline predict`: one scenario's predictions with 90% intervals and ratios."""
    forecaster = store.load_forecaster(args.models)
    fields = {"platform": args.platform, "device": args.device}
    fields |= {"campaign_type": args.campaign_type, "content_type": args.content_type, "ad_set": args.ad_set}
    return answers.predict_line(forecaster, args.spend, **fields)


def command_optimize(args: argparse.Namespace) -> dict[str, object]:
    """`python -m pipeline optimize`: the default lines (one per platform x campaign type) with bounds
    0..budget, optimised for the objective; the equal split is the baseline."""
    forecaster = store.load_forecaster(args.models)
    return answers.optimize_plan(forecaster, args.budget, args.objective)
