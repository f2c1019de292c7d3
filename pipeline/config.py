"""Paths and settings, in one place."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    """Where the app reads its data: APP_DATA_DIR, else data/ in the checkout."""
    return Path(os.environ.get("APP_DATA_DIR", ROOT / "data"))


def models_dir() -> Path:
    """Where trained models live: APP_MODELS_DIR, else models/ in the checkout."""
    return Path(os.environ.get("APP_MODELS_DIR", ROOT / "models"))


# Engines that can compute the grouped sums (pipeline.scale.backends).
BACKEND_KINDS = ("duckdb", "spark", "postgres")

# What a blank dimension cell (device, platform, ...) is shown and grouped as, in every engine.
MISSING_LABEL = "(none)"

DEFAULT_SEED = 42
# About 50k rows keeps the demo snappy while still covering a full year of days.
DEFAULT_CAMPAIGN_ROWS = 50_000

CAMPAIGNS_FILE = "campaigns.csv"
# The same campaign table as Parquet, written beside the CSV for big data sets (read first when present).
CAMPAIGNS_PARQUET = "campaigns.parquet"
INFLUENCERS_FILE = "influencers.csv"
POSTS_FILE = "posts.csv"
TRACKING_FILE = "tracking_data.csv"
PAYOUTS_FILE = "payouts.csv"
GROUND_TRUTH_FILE = "ground_truth.json"
# The business's own daily sales (a shop or GA4 report): what the media mix model explains.
SALES_FILE = "sales.csv"
# The team's workspace (kept datasets, saved scenarios): one DuckDB file in the data folder unless the workspace
# setting (APP_WORKSPACE, else `location` under [workspace] in secrets.toml) names another file or a
# postgresql:// URL (pipeline.workspace.store.workspace_location, workspace_setting below).
WORKSPACE_FILE = "workspace.duckdb"
WORKSPACE_ENV = "APP_WORKSPACE"
WORKSPACE_SECTION, WORKSPACE_KEY = "workspace", "location"
POSTGRES_SCHEMES = ("postgresql://", "postgres://")
DEMO_FILES = (
    CAMPAIGNS_FILE,
    SALES_FILE,
    INFLUENCERS_FILE,
    POSTS_FILE,
    TRACKING_FILE,
    PAYOUTS_FILE,
    GROUND_TRUTH_FILE,
)


# ---------------------------------------------------------------- backend settings
# Which engine computes the grouped sums (pipeline.scale) and where its tables are. Read from ANALYTICS_*
# environment variables, else the [backend] section of .streamlit/secrets.toml, else the embedded default.
# Kept here, free of heavy imports, so the CLI parser and the pages can read them without ibis or pyspark.

DEFAULT_KIND = "duckdb"
SECRETS_PATH = ROOT / ".streamlit" / "secrets.toml"
ENV_KIND, ENV_CAMPAIGNS, ENV_TRACKING, ENV_URL = (
    "ANALYTICS_BACKEND",
    "ANALYTICS_CAMPAIGNS_TABLE",
    "ANALYTICS_TRACKING_TABLE",
    "ANALYTICS_BACKEND_URL",
)
# secrets.toml key -> environment variable that overrides it
SETTING_ENV = {"kind": ENV_KIND, "campaigns_table": ENV_CAMPAIGNS, "tracking_table": ENV_TRACKING, "url": ENV_URL}
# A warehouse has no data folder: these table names are the default there.
DEFAULT_TABLES = {"campaigns": "campaigns", "tracking": "tracking_data"}
SPARK_MASTER = "local[2]"  # the machine's 2 cores
# Spark's default of 200 shuffle partitions is for clusters; a few suffice for the small grouped results here.
SPARK_SHUFFLE_PARTITIONS = 8
SPARK_LOCAL_MEMORY = "3g"  # of the machine's 24 GB; see pipeline.scale.backends.spark_session


class BackendError(ValueError):
    """A backend cannot be used as configured; the message is one sentence for people."""


@dataclass(frozen=True)
class BackendSettings:
    """Which engine computes the sums and where it finds the tables.

    `campaigns` and `tracking` are a Parquet/CSV file or a folder holding campaigns.parquet|csv and
    tracking_data.parquet|csv (DuckDB, Spark), or a table name (Spark catalog, PostgreSQL). `url` is the
    PostgreSQL URL or the Spark master; it may hold a password, so it is left out of repr (see `describe`).
    """

    kind: str = DEFAULT_KIND
    campaigns: str = ""
    tracking: str = ""
    url: str | None = field(default=None, repr=False)

    def describe(self) -> str:
        """A one-line description that is safe to log: the URL's password is masked."""
        url = f" at {redact_url(self.url)}" if self.url else ""
        return f"{self.kind}{url} (campaigns: {self.campaigns or '-'}, tracking: {self.tracking or '-'})"


SECRET_QUERY_KEYS = frozenset({"password", "sslpassword"})  # libpq takes a password in the query string too
# An unreachable PostgreSQL host would otherwise hold a page for libpq's default (no limit); a URL's own
# connect_timeout wins.
POSTGRES_CONNECT_TIMEOUT_S = 5


def redact_url(url: str) -> str:
    """The URL with any password replaced by ***: the one after the user name and any ?password=."""
    parts = urlsplit(url)
    if parts.password is not None:
        host = parts.hostname or ""
        parts = parts._replace(netloc=f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else ""))
    query = parse_qsl(parts.query, keep_blank_values=True)
    if any(key.lower() in SECRET_QUERY_KEYS for key, _ in query):
        hidden = [(key, "***" if key.lower() in SECRET_QUERY_KEYS else value) for key, value in query]
        parts = parts._replace(query=urlencode(hidden, safe="*"))
    return urlunsplit(parts)


def _read_secrets(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        section = tomllib.loads(path.read_text(encoding="utf-8")).get("backend", {})
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        raise BackendError(f"{path.name} is not valid TOML, so its [backend] settings cannot be read.") from None
    if not isinstance(section, dict):
        raise BackendError(f"[backend] in {path.name} must be a table of settings.")
    return section


def backend_configured(environ: Mapping[str, str] = os.environ, secrets_path: Path | None = None) -> bool:
    """True when the environment or secrets.toml names a backend (else the app and CLI keep their local paths)."""
    named = str(_read_secrets(secrets_path or SECRETS_PATH).get("kind", "") or "")
    return bool(environ.get(ENV_KIND, "").strip() or named.strip())


def settings_from_env(environ: Mapping[str, str] = os.environ, secrets_path: Path | None = None) -> BackendSettings:
    """Backend settings: ANALYTICS_BACKEND, ANALYTICS_CAMPAIGNS_TABLE, ANALYTICS_TRACKING_TABLE and
    ANALYTICS_BACKEND_URL win over the keys kind, campaigns_table, tracking_table and url of the [backend]
    section of `secrets_path` (default SECRETS_PATH, .streamlit/secrets.toml). With neither: DuckDB over the
    local data folder (data_dir()). Raises BackendError for an unknown kind or unreadable TOML."""
    secrets = _read_secrets(secrets_path or SECRETS_PATH)
    values = {}
    for key, variable in SETTING_ENV.items():
        value = environ.get(variable, "").strip() or str(secrets.get(key, "") or "").strip()
        values[key] = value
    kind = values["kind"].lower() or DEFAULT_KIND
    if kind not in BACKEND_KINDS:
        raise BackendError(f"Unknown backend {values['kind']!r}; use one of {', '.join(BACKEND_KINDS)}.")
    local = str(data_dir())
    return BackendSettings(
        kind=kind,
        campaigns=values["campaigns_table"] or (DEFAULT_TABLES["campaigns"] if kind == "postgres" else local),
        tracking=values["tracking_table"] or (DEFAULT_TABLES["tracking"] if kind == "postgres" else local),
        url=values["url"] or None,
    )


# ---------------------------------------------------------------- workspace setting


def workspace_setting(environ: Mapping[str, str] = os.environ, secrets_path: Path | None = None) -> str:
    """Where the team's workspace is, as set: APP_WORKSPACE, else `location` in the [workspace] section of
    `secrets_path` (default SECRETS_PATH), else "" (workspace.duckdb in the data folder). A file path or a
    postgresql:// URL; a URL with a password belongs in secrets.toml. BackendError when the TOML is unreadable."""
    value = environ.get(WORKSPACE_ENV, "").strip()
    if not value:
        section = _read_toml_section(secrets_path or SECRETS_PATH, WORKSPACE_SECTION)
        value = str(section.get(WORKSPACE_KEY, "") or "").strip()
    return value


def is_postgres_url(location: str) -> bool:
    """True for a postgresql:// (or postgres://) URL, which puts the workspace in that database."""
    return location.strip().lower().startswith(POSTGRES_SCHEMES)


# ---------------------------------------------------------------- REST API settings (api/)
# The API's bearer token: ANALYTICS_API_TOKEN, else `token` in the [api] section of .streamlit/secrets.toml.
# Without one the server only binds loopback (api/__main__.py). Limits can be lowered for tests.

ENV_API_TOKEN = "ANALYTICS_API_TOKEN"
ENV_API_MAX_BODY = "ANALYTICS_API_MAX_BODY_BYTES"
ENV_API_MAX_LINES = "ANALYTICS_API_MAX_BATCH_LINES"
STREAMLIT_CONFIG_PATH = ROOT / ".streamlit" / "config.toml"
# Streamlit's own default; the app's .streamlit/config.toml sets the same 200 MB (server.maxUploadSize).
DEFAULT_UPLOAD_MB = 200
# A 10,000-line batch is answered in well under a second; bigger jobs belong in the CLI or the planner.
API_MAX_BATCH_LINES = 10_000
LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")


def _read_toml_section(path: Path, section: str) -> dict[str, Any]:
    """One [section] of a TOML file ({} when the file or the section is absent); BackendError when unreadable."""
    if not path.is_file():
        return {}
    try:
        value = tomllib.loads(path.read_text(encoding="utf-8")).get(section, {})
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        raise BackendError(f"{path.name} is not valid TOML, so its [{section}] settings cannot be read.") from None
    return value if isinstance(value, dict) else {}


def api_token(environ: Mapping[str, str] = os.environ, secrets_path: Path | None = None) -> str | None:
    """The API's bearer token: ANALYTICS_API_TOKEN, else [api] token in secrets.toml, else None (not configured)."""
    token = environ.get(ENV_API_TOKEN, "").strip()
    if not token:
        token = str(_read_toml_section(secrets_path or SECRETS_PATH, "api").get("token", "") or "").strip()
    return token or None


def upload_limit_bytes(config_path: Path | None = None) -> int:
    """The app's upload limit (server.maxUploadSize in .streamlit/config.toml, in MB) in bytes."""
    server = _read_toml_section(config_path or STREAMLIT_CONFIG_PATH, "server")
    try:
        megabytes = int(server.get("maxUploadSize", DEFAULT_UPLOAD_MB))
    except (TypeError, ValueError):
        megabytes = DEFAULT_UPLOAD_MB
    return megabytes * 1024 * 1024  # Streamlit counts a megabyte as 2**20 bytes


def _positive_int(environ: Mapping[str, str], variable: str, default: int) -> int:
    text = environ.get(variable, "").strip()
    if not text:
        return default
    if not text.isdigit() or int(text) <= 0:
        raise ValueError(f"{variable} must be a positive whole number, not {text!r}.")
    return int(text)


def api_max_body_bytes(environ: Mapping[str, str] = os.environ) -> int:
    """The largest request body or upload the API reads: ANALYTICS_API_MAX_BODY_BYTES, else the app's limit."""
    return _positive_int(environ, ENV_API_MAX_BODY, upload_limit_bytes())


def api_max_batch_lines(environ: Mapping[str, str] = os.environ) -> int:
    """The most lines one /predict batch may hold: ANALYTICS_API_MAX_BATCH_LINES, else API_MAX_BATCH_LINES."""
    return _positive_int(environ, ENV_API_MAX_LINES, API_MAX_BATCH_LINES)
