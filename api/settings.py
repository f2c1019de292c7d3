"""What one API process is configured with: folders, token and limits (read once, from pipeline.config)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pipeline import config


@dataclass(frozen=True)
class ApiSettings:
    """`token` None means no token is configured: every endpoint is open, so the server binds loopback only."""

    data_dir: Path
    models_dir: Path
    token: str | None = field(default=None, repr=False)  # a secret: kept out of logs and reprs
    max_body_bytes: int = config.DEFAULT_UPLOAD_MB * 1024 * 1024
    max_batch_lines: int = config.API_MAX_BATCH_LINES


def settings_from_env(environ: Mapping[str, str] = os.environ) -> ApiSettings:
    """Settings from APP_DATA_DIR, APP_MODELS_DIR, ANALYTICS_API_TOKEN (or secrets.toml) and the limits;
    ValueError with one sentence for an unusable value."""
    return ApiSettings(
        data_dir=Path(environ.get("APP_DATA_DIR", config.data_dir())),
        models_dir=Path(environ.get("APP_MODELS_DIR", config.models_dir())),
        token=config.api_token(environ),
        max_body_bytes=config.api_max_body_bytes(environ),
        max_batch_lines=config.api_max_batch_lines(environ),
    )


def is_loopback(host: str) -> bool:
    """True for the loopback names and addresses the server may bind without a token."""
    return host.strip("[]").lower() in config.LOOPBACK_HOSTS
