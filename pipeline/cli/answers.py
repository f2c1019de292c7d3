"""The answers behind `python -m pipeline COMMAND --json` and the REST API (api/): one implementation, two front doors.

Each function takes typed keyword arguments (never an argparse.Namespace) and returns the JSON-able dict the
command prints (before `main.to_jsonable`). Input mistakes raise CliError with one sentence; the CLI prints it
and exits 2, the API answers it as JSON with a 4xx status.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipeline import config, kpis
from pipeline.cli.options import CliError
from pipeline.influencers import guardrails, roster, stratified
from pipeline.influencers import incrementality as inc
from pipeline.influencers import statistics as inc_stats
from pipeline.influencers.tracking import IncrementalityInputError
from pipeline.influencers.verdict import blocking_message, verdict
from pipeline.inputs.ingest.errors import IngestError
from pipeline.inputs.ingest.headers import detect_kind
from pipeline.inputs.ingest.load import IngestResult, campaign_totals, ingest
from pipeline.inputs.ingest.vocabulary import KPI_RATIOS
from pipeline.modeling import intervals, optimizer, planner
from pipeline.modeling.forecast import Forecaster
from pipeline.scale import sums_stats
from pipeline.schemas import CAMPAIGN_MEASURES

OBJECTIVES = ("revenue", "conversions")
# The sentence for an influencer roster given to ingest, which reads campaign exports and the four influencer
# tables: it says what the file is and where the app uses it (the data page says the same, ui/upload.py).
ROSTER_ELSEWHERE = (
    "{name} is an influencer profile list (a roster), not a campaign export or influencer table: open it in the "
    "app on the Influencers page, under “Shortlist creators from a profile list (roster)”, to rank and filter "
    "creators for the next campaign."
)

# ---------------------------------------------------------------- ingest and kpis


def ingest_path(path: Path) -> IngestResult:
    """A file on disk through pipeline.inputs.ingest; a missing file or an unusable one is a CliError."""
    if not path.exists():
        raise CliError(f"File not found: {path}.")
    if not path.is_file():
        raise CliError(f"{path} is a folder, not a file.")
    try:
        return ingest(path)
    except IngestError as exc:
        raise _refusal(exc, path.read_bytes(), path.name) from exc


def ingest_upload(content: bytes, name: str) -> IngestResult:
    """Uploaded bytes through pipeline.inputs.ingest (`name` gives the format hints, as a path's name does)."""
    try:
        return ingest(content, name=name)
    except IngestError as exc:
        raise _refusal(exc, content, name) from exc


def _refusal(exc: IngestError, raw: bytes, name: str) -> CliError:
    """Ingest's one sentence, or, for an influencer roster, what the file is and where to use it."""
    if is_misplaced_roster(raw):
        return CliError(ROSTER_ELSEWHERE.format(name=name or "This file"))
    return CliError(str(exc))


def is_misplaced_roster(raw: bytes) -> bool:
    """A roster's header (handles and followers) that ingest took for a campaign table: not an influencer profile
    table (id, name, follower_count...), whose refusal is about its rows and keeps ingest's sentence."""
    if not roster.is_roster_file(raw):
        return False
    header = pd.read_csv(io.BytesIO(raw), nrows=0, encoding="utf-8-sig")  # is_roster_file just read it
    return detect_kind([str(column) for column in header.columns]) == "campaigns"


def ingest_summary(result: IngestResult) -> dict[str, Any]:
    """What was read, kept, dropped and mapped; campaign files add their platforms and totals."""
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
    elif result.kind == "sales":
        summary["totals"] = result.totals  # {"revenue", "orders"}; orders null without an orders column
    return summary


def kpi_records(table: pd.DataFrame, by: list[str]) -> list[dict[str, Any]]:
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


def kpi_total(total: dict[str, float]) -> dict[str, float]:
    return {**total, **{ratio: math.nan for ratio in KPI_RATIOS if ratio not in total}}


def split_dimensions(text: str | None) -> list[str]:
    """ "platform, device" -> ["platform", "device"] (blanks ignored)."""
    return [d.strip() for d in (text or "").split(",") if d.strip()]


def file_kpis(result: IngestResult, by: Sequence[str], name: str) -> dict[str, Any]:
    """Ratio-of-sums KPIs per `by` group and in total for an ingested campaign file called `name`."""
    if result.kind != "campaigns":
        raise CliError(f"kpis needs a campaign file, but {name} is a {result.kind} table.")
    frame = result.frame
    available = [c for c in frame.columns if c not in CAMPAIGN_MEASURES]
    unknown = [d for d in by if d not in available]
    if unknown:
        raise CliError(f"Unknown dimension {unknown[0]!r}; available: {', '.join(available)}.")
    return {"rows": kpi_records(kpis.kpi_table(frame, list(by)), list(by)), "total": kpi_total(kpis.kpi_totals(frame))}


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


def read_csv(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise CliError(f"{path.name} could not be read as CSV ({str(exc).splitlines()[0]}).") from None


def expected_share(share: float | None) -> float:
    """The exposed share the sample-ratio test expects: `share`, or the default when None."""
    if share is None:  # not `or`: an explicit 0 is a mistake to report, not a default to fill in
        share = inc_stats.EXPECTED_EXPOSED_SHARE
    if not 0 < share < 1:
        raise CliError("--expected-share must be between 0 and 1.")
    return share


def folder_incrementality(directory: Path, share: float | None = None) -> dict[str, Any]:
    """Overall and per-influencer iROAS for DIR's CSVs, exact (user-level bootstrap)."""
    if not directory.is_dir():
        raise CliError(f"{directory} is not a folder.")
    for name in (config.TRACKING_FILE, config.PAYOUTS_FILE):
        if not (directory / name).is_file():
            raise CliError(f"{directory} has no {name}.")
    tracking = read_csv(directory / config.TRACKING_FILE)
    payouts = read_csv(directory / config.PAYOUTS_FILE)
    share = expected_share(share)
    try:
        result = inc.analyse(tracking, payouts, expected_exposed_share=share, breakdowns=("influencer",))
    except IncrementalityInputError as exc:
        raise CliError(str(exc)) from None
    if result.problem:
        raise CliError(result.problem)
    by_influencer = result.breakdowns.get("influencer", pd.DataFrame(columns=["influencer_id"]))
    rows = {int(row["influencer_id"]): row.to_dict() for _, row in by_influencer.iterrows()}
    return incrementality_summary(result, rows)


# ---------------------------------------------------------------- forecasts and plans


def predict_line(forecaster: Forecaster, spend: float, **fields: str | None) -> dict[str, Any]:
    """One scenario's predictions with 90% intervals and ratios; `fields` are the line's categories (platform,
    device, campaign_type, content_type, ad_set), matched case-insensitively, a missing one the most common.
    Its "coverage" is the intervals' level, or null beyond the spend the data supports."""
    try:
        return planner.predict_scenario(forecaster, spend, **fields)
    except ValueError as error:
        raise CliError(str(error)) from error


def predict_many(forecaster: Forecaster, lines: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """predict_line for every line (each a mapping with spend and categories), in one model call: each record
    equals predict_line's for that line (NaN as None). A bad line is a CliError naming its position (1-based)."""
    if not lines:
        raise CliError("The batch has no lines; send at least one.")
    frame = _batch_frame(forecaster, lines)
    predicted = planner.predict_lines(forecaster, frame)
    coverage = np.where(predicted["extrapolated"].to_numpy(dtype=bool), None, intervals.COVERAGE)
    predicted = predicted.astype("object").where(predicted.notna(), None).assign(coverage=coverage)
    return predicted.to_dict("records")


def _batch_frame(forecaster: Forecaster, lines: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """The lines as one forecast input, as planner.line_frame builds one line: each category resolved once per
    distinct value (case-insensitively; missing: the most common), spend a number of at least 0."""
    resolved: dict[tuple[str, Any], str] = {}
    rows = []
    for number, line in enumerate(lines, start=1):
        try:
            row = {}
            for field in planner.LINE_FIELDS:
                value = line.get(field) or forecaster.defaults[field]
                if (field, value) not in resolved:
                    resolved[field, value] = planner.resolve_category(forecaster, field, value)
                row[field] = resolved[field, value]
            spend = float(line["spend"])
            if not np.isfinite(spend) or spend < 0:
                planner.line_frame(forecaster, spend)  # raises the planner's own message for a bad spend
            rows.append({**row, "spend": spend})
        except ValueError as error:
            raise CliError(f"Line {number}: {error}") from error
    return pd.DataFrame(rows, columns=[*planner.LINE_FIELDS, "spend"])


def optimize_plan(forecaster: Forecaster, budget: float, objective: str = "revenue") -> dict[str, Any]:
    """The default lines (one per platform x campaign type) with bounds 0..budget, optimised for `objective`;
    the equal split is the baseline."""
    if not np.isfinite(budget) or budget <= 0:
        raise CliError("The budget must be a positive number.")
    if objective not in OBJECTIVES:
        raise CliError(f"Unknown objective {objective!r}; use one of {', '.join(OBJECTIVES)}.")
    lines = planner.default_lines(forecaster, budget).assign(min_spend=0.0, max_spend=float(budget))
    try:
        optimum = optimizer.optimize_budget(forecaster, lines, budget, objective)
    except planner.PlanError as error:
        raise CliError(str(error)) from error
    _, baseline = planner.predict_plan(forecaster, lines[[*planner.LINE_FIELDS, "spend"]])
    allocation = optimum.lines.rename(columns={"revenue": "predicted_revenue", "conversions": "predicted_conversions"})
    keep = [*planner.LINE_FIELDS, "spend", "predicted_revenue", "predicted_conversions", "supported_spend"]
    return {
        "objective": objective,
        "budget": float(budget),
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
