"""The handlers behind `python -m pipeline COMMAND`: each takes the parsed arguments and returns a JSON-able dict.

Domain code raises its own errors (ValueError subclasses); here input mistakes become CliError, one line.
"""

from __future__ import annotations

import argparse
import math
import os
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipeline import config, kpis
from pipeline.cli.options import CliError, data_dir_arg, models_dir_arg
from pipeline.influencers import guardrails, stratified
from pipeline.influencers import incrementality as inc
from pipeline.influencers import statistics as inc_stats
from pipeline.influencers.tracking import IncrementalityInputError, validate_payouts
from pipeline.influencers.verdict import blocking_message, verdict
from pipeline.inputs.ingest.errors import IngestError
from pipeline.inputs.ingest.load import IngestResult, campaign_totals, ingest
from pipeline.inputs.ingest.vocabulary import KPI_RATIOS
from pipeline.modeling import artifacts, optimizer, planner, report, scores, store
from pipeline.scale import backends, campaign_sums, sums_stats, tracking_sums
from pipeline.schemas import CAMPAIGN_MEASURES

# ---------------------------------------------------------------- ingest and kpis


def _ingest_file(path: Path) -> IngestResult:
    if not path.exists():
        raise CliError(f"File not found: {path}.")
    if not path.is_file():
        raise CliError(f"{path} is a folder, not a file.")
    try:
        return ingest(path)
    except IngestError as exc:
        raise CliError(str(exc)) from exc


def command_ingest(args: argparse.Namespace) -> dict[str, Any]:
    """`python -m pipeline ingest FILE [--out F.parquet] --json`: what was read, kept, dropped and mapped."""
    result = _ingest_file(args.file)
    summary: dict[str, Any] = {
        "kind": result.kind,
        "rows_read": result.rows_read,
        "rows_kept": result.rows_kept,
        "dropped": result.dropped,
        "mapping": result.mapping,
        "estimated": result.estimated,
        "uncertain": result.uncertain,
        "assumptions": result.assumptions,
    }
    if result.kind == "campaigns":
        summary["platforms"] = result.platforms
        summary["totals"] = campaign_totals(result.frame)
    if getattr(args, "out", None) is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        result.frame.to_parquet(args.out, index=False)
        summary["out"] = str(args.out)
    return summary


def _kpi_records(table: pd.DataFrame, by: list[str]) -> list[dict[str, Any]]:
    """KPI rows as JSON records: every ratio present (null when undefined), dates as YYYY-MM-DD."""
    out = table.copy()
    for ratio in KPI_RATIOS:
        if ratio not in out.columns:
            out[ratio] = np.nan
    for column in by:
        if pd.api.types.is_datetime64_any_dtype(out[column]):
            out[column] = out[column].dt.strftime("%Y-%m-%d")
        elif isinstance(out[column].dtype, pd.CategoricalDtype):
            out[column] = out[column].astype("object")
    return out.astype("object").where(out.notna(), None).to_dict("records")


def _kpi_total(total: dict[str, float]) -> dict[str, float]:
    return {**total, **{ratio: math.nan for ratio in KPI_RATIOS if ratio not in total}}


def _dimensions(text: str | None) -> list[str]:
    return [d.strip() for d in (text or "").split(",") if d.strip()]


def _file_kpis(args: argparse.Namespace) -> dict[str, Any]:
    result = _ingest_file(args.file)
    if result.kind != "campaigns":
        raise CliError(f"kpis needs a campaign file, but {args.file.name} is a {result.kind} table.")
    frame = result.frame
    by = _dimensions(args.by)
    available = [c for c in frame.columns if c not in CAMPAIGN_MEASURES]
    unknown = [d for d in by if d not in available]
    if unknown:
        raise CliError(f"Unknown dimension {unknown[0]!r}; available: {', '.join(available)}.")
    return {"rows": _kpi_records(kpis.kpi_table(frame, by), by), "total": _kpi_total(kpis.kpi_totals(frame))}


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
    by = _dimensions(args.by)
    campaign_sums.check_dimensions(by)
    with backends.plain_errors(settings):
        table = backends.campaign_table(backends.connect(settings), settings)
        sums = campaign_sums.campaign_sums(table, campaign_sums.EVERYTHING, by)
        totals = campaign_sums.campaign_sums(table)
    total = {key: float(value) for key, value in kpis.add_ratios(totals).iloc[0].items()}
    return {
        "rows": _kpi_records(kpis.add_ratios(sums), by),
        "total": _kpi_total(total),
        "backend": kind,
        "method": "ratio_of_sums",
    }


# ---------------------------------------------------------------- incrementality

# The breakdown's numbers, without its label, note and per-user revenues.
INFLUENCER_KEYS = tuple(
    column
    for column in inc.BREAKDOWN_COLUMNS
    if column not in ("label", "note", "revenue_per_exposed_user", "revenue_per_control_user")
)


def incrementality_summary(
    outcome: inc.IncrementalityReport | sums_stats.SumsSummary, by_influencer: dict[int, dict[str, Any]]
) -> dict[str, Any]:
    """The `incrementality` command's JSON, whichever path computed it; `by_influencer` maps an influencer id
    to its breakdown values (INFLUENCER_KEYS). A failed guardrail replaces the verdict with its warning."""
    overall, contaminated_users, srm_p = outcome.overall, outcome.contaminated_users, outcome.srm_p_value
    return {
        "exposed_users": overall.exposed_users,
        "control_users": overall.control_users,
        "contaminated_users": contaminated_users,
        "lift": overall.lift,
        "incremental_revenue": overall.incremental_revenue,
        "payout": overall.payout,
        "iroas": overall.iroas,
        "iroas_ci": [overall.iroas_ci_low, overall.iroas_ci_high],
        "p_value": overall.p_value,
        "srm_p_value": srm_p,
        "verdict": blocking_message(outcome.guardrails) or verdict(overall),
        "guardrails": guardrails.as_records(outcome.guardrails),
        "stratified": stratified.as_record(outcome.stratified),
        "by_influencer": [
            {"influencer_id": influencer, **{key: values[key] for key in INFLUENCER_KEYS}}
            for influencer, values in by_influencer.items()
        ],
    }


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise CliError(f"{path.name} could not be read as CSV ({str(exc).splitlines()[0]}).") from None


def _expected_share(args: argparse.Namespace) -> float:
    share = getattr(args, "expected_share", None)
    if share is None:  # not `or`: an explicit 0 is a mistake to report, not a default to fill in
        share = inc_stats.EXPECTED_EXPOSED_SHARE
    if not 0 < share < 1:
        raise CliError("--expected-share must be between 0 and 1.")
    return share


def _folder_incrementality(args: argparse.Namespace) -> dict[str, Any]:
    """Overall and per-influencer iROAS for DIR's CSVs, exact (user-level bootstrap)."""
    directory = Path(args.directory)
    if not directory.is_dir():
        raise CliError(f"{directory} is not a folder.")
    for name in (config.TRACKING_FILE, config.PAYOUTS_FILE):
        if not (directory / name).is_file():
            raise CliError(f"{directory} has no {name}.")
    tracking = _read_csv(directory / config.TRACKING_FILE)
    payouts = _read_csv(directory / config.PAYOUTS_FILE)
    share = _expected_share(args)
    try:
        result = inc.analyse(tracking, payouts, expected_exposed_share=share, breakdowns=("influencer",))
    except IncrementalityInputError as exc:
        raise CliError(str(exc)) from None
    if result.problem:
        raise CliError(result.problem)
    by_influencer = result.breakdowns.get("influencer", pd.DataFrame(columns=["influencer_id"]))
    rows = {int(row["influencer_id"]): row.to_dict() for _, row in by_influencer.iterrows()}
    return incrementality_summary(result, rows)


def _payouts(directory: Path) -> pd.Series:
    """Total payout per influencer from DIR/payouts.csv (small: it stays local whatever the backend)."""
    path = directory / config.PAYOUTS_FILE
    if not path.is_file():
        raise CliError(f"{directory} has no {config.PAYOUTS_FILE}.")
    try:
        payouts = validate_payouts(_read_csv(path))
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
    share = _expected_share(args)
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
    try:
        # Its "coverage" is the intervals' level, or null beyond the spend the data supports.
        return planner.predict_scenario(forecaster, args.spend, **fields)
    except ValueError as error:
        raise CliError(str(error)) from error


def command_optimize(args: argparse.Namespace) -> dict[str, object]:
    """`python -m pipeline optimize`: the default lines (one per platform x campaign type) with bounds
    0..budget, optimised for the objective; the equal split is the baseline."""
    forecaster = store.load_forecaster(args.models)
    if not np.isfinite(args.budget) or args.budget <= 0:
        raise CliError("The budget must be a positive number.")
    lines = planner.default_lines(forecaster, args.budget).assign(min_spend=0.0, max_spend=float(args.budget))
    try:
        optimum = optimizer.optimize_budget(forecaster, lines, args.budget, args.objective)
    except planner.PlanError as error:
        raise CliError(str(error)) from error
    _, baseline = planner.predict_plan(forecaster, lines[[*planner.LINE_FIELDS, "spend"]])
    allocation = optimum.lines.rename(columns={"revenue": "predicted_revenue", "conversions": "predicted_conversions"})
    keep = [*planner.LINE_FIELDS, "spend", "predicted_revenue", "predicted_conversions", "supported_spend"]
    return {
        "objective": args.objective,
        "budget": float(args.budget),
        "method": optimum.method,
        "extrapolated": bool(optimum.total["extrapolated"]),
        "allocation": allocation[[*keep, "extrapolated"]].to_dict(orient="records"),
        "predicted_revenue": optimum.total["revenue"],
        "predicted_conversions": optimum.total["conversions"],
        "baseline": {
            "name": "equal split",
            "predicted_revenue": baseline["revenue"],
            "predicted_conversions": baseline["conversions"],
        },
    }
