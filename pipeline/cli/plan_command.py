"""`python -m pipeline optimize` and `plan`: next period's budget on the media mix model (README "Forward planner").

Both load the media mix fit cached for the data folder (fitting it first when there is none, like `mmm`).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from pipeline.cli.options import CliError
from pipeline.modeling.plan_terms import DEFAULT_DAYS, DEFAULT_MAX_SHIFT, MODES, SPREADS


def add_window_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--days", type=int, default=DEFAULT_DAYS, help="length of the window (days)")
    parser.add_argument("--start", default=None, help="first day YYYY-MM-DD (default: the day after the data)")
    parser.add_argument("--spread", choices=SPREADS, default="even", help="how spend is spread over days")
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--models", type=Path, default=None)
    parser.add_argument("--json", action="store_true")


def add_parsers(sub: argparse._SubParsersAction) -> None:
    optimize = sub.add_parser("optimize", help="split next period's budget across channels (media mix model)")
    optimize.add_argument("--budget", type=float, default=None, help="the window's total (budget mode)")
    optimize.add_argument("--mode", choices=MODES, default="budget")
    optimize.add_argument("--target", type=float, default=1.0, help="marginal ROAS or ROAS target (target modes)")
    optimize.add_argument("--min", action="append", default=[], metavar="CHANNEL=AMOUNT", help="or CHANNEL=PCT%%")
    optimize.add_argument("--max", action="append", default=[], metavar="CHANNEL=AMOUNT", help="or CHANNEL=PCT%%")
    optimize.add_argument(
        "--max-shift",
        type=shift_option,
        default=DEFAULT_MAX_SHIFT,
        metavar="PCT",
        help=f"budget mode: channels without --min/--max stay within ±PCT%% of their current-mix spend "
        f"(default {DEFAULT_MAX_SHIFT * 100:.0f}%%); 'none' lifts it",
    )
    add_window_options(optimize)
    plan = sub.add_parser("plan", help="score a given split of next period's budget (media mix model)")
    plan.add_argument("--spend", action="append", required=True, metavar="CHANNEL=AMOUNT")
    add_window_options(plan)


def shift_option(text: str) -> float | None:
    """--max-shift: a percentage ("30" or "30%") as a share, or None for "none"."""
    cleaned = text.strip().lower().removesuffix("%")
    if cleaned in ("none", "off"):
        return None
    try:
        value = float(cleaned)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a percentage (for example 30) or none") from None
    if not 0 <= value <= 1e6:
        raise argparse.ArgumentTypeError(f"{text!r} must be a percentage ≥ 0, or none")
    return value / 100.0


def command_optimize(args: argparse.Namespace) -> dict[str, Any]:
    from pipeline.cli import plan_answers
    from pipeline.cli.mmm_command import folder_posterior

    if args.mode == "budget" and args.budget is None:
        raise CliError("--budget is needed in budget mode (or choose --mode target-mroas or target-roas).")
    posterior = folder_posterior(args.data, args.models)
    window = {"days": args.days, "start": args.start, "spread": args.spread}
    limits = {"minimum": args.min, "maximum": args.max, "max_shift": args.max_shift}
    return plan_answers.optimize_answer(posterior, args.budget, mode=args.mode, target=args.target, **window, **limits)


def command_plan(args: argparse.Namespace) -> dict[str, Any]:
    from pipeline.cli import plan_answers
    from pipeline.cli.mmm_command import folder_posterior

    posterior = folder_posterior(args.data, args.models)
    return plan_answers.plan_answer(posterior, args.spend, args.days, args.start, args.spread)
