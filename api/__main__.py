"""`python -m api [--host HOST] [--port PORT]`: serve the REST API with uvicorn (one process, models loaded once).

Without a token configured (ANALYTICS_API_TOKEN or [api] token in .streamlit/secrets.toml) every endpoint is
open, so only loopback may be bound: any other host exits 2 with one `error:` line.
"""

from __future__ import annotations

import argparse
import os
import sys

from api.settings import is_loopback, settings_from_env

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m api", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=os.environ.get("API_HOST", DEFAULT_HOST), help="default 127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("API_PORT", DEFAULT_PORT)))
    parser.add_argument("--log-level", default="info", choices=("critical", "error", "warning", "info", "debug"))
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        settings = settings_from_env()
    except ValueError as exc:
        print(f"error: {exc}".splitlines()[0], file=sys.stderr)
        return 2
    if settings.token is None and not is_loopback(args.host):
        print(
            f"error: no API token is configured, so the API binds only to loopback (127.0.0.1, ::1, localhost), "
            f"not {args.host}; set ANALYTICS_API_TOKEN or [api] token in .streamlit/secrets.toml first.",
            file=sys.stderr,
        )
        return 2

    import uvicorn  # after the checks: a refused start stays instant

    from api.app import create_app

    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level=args.log_level, server_header=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
