"""The forward planner over HTTP (POST /optimize, POST /plan): input the planner cannot use is a 422 with the CLI's
own sentence, and concurrent plans share the one saved fit. (503 without a fit: test_startup and test_mmm.)"""

from __future__ import annotations

import contextlib
import io
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import get_args

import pytest
import requests

from api.plan_schemas import OptimizeBody, PlanBody
from bench.sections.api import ApiServer
from pipeline.cli import main
from pipeline.modeling.plan_terms import MODES, SPREADS
from tests.api.conftest import assert_error, call

KNOWN = "the model knows Instagram, Meta, TikTok, Influencers."
EVERY_CHANNEL = ("Instagram", "Meta", "TikTok", "Influencers")


def cli_error(*args: str) -> str:
    """The sentence of `python -m pipeline ARGS --json`'s one `error:` line (exit 2)."""
    printed = io.StringIO()
    with contextlib.redirect_stderr(printed):
        assert main.main([*args, "--json"]) == 2
    line = printed.getvalue().strip()
    assert line.startswith("error: ") and "\n" not in line, line
    return line.removeprefix("error: ")


@pytest.fixture
def folders(api_data_dir: Path, api_models_dir: Path) -> list[str]:
    return ["--data", str(api_data_dir), "--models", str(api_models_dir)]


# (body, the same request's CLI options, words of the sentence)
OPTIMIZE_MISTAKES = {
    "unknown channel": ({"budget": 1000, "min": {"Snapchat": 5}}, ["--budget", "1000", "--min", "Snapchat=5"], KNOWN),
    "minimums above the budget": (
        {"budget": 1000, "min": {"Meta": 800, "TikTok": 500}},
        ["--budget", "1000", "--min", "Meta=800", "--min", "TikTok=500"],
        "more than the budget $1,000.",
    ),
    "maximums below the budget": (
        {"budget": 100000, "max": dict.fromkeys(EVERY_CHANNEL, 1000)},
        ["--budget", "100000", *[part for name in EVERY_CHANNEL for part in ("--max", f"{name}=1000")]],
        "The maximums add up to $4,000, less than the budget $100,000.",
    ),
    "a minimum above its maximum": (
        {"budget": 5000, "min": {"Meta": "200%"}, "max": {"Meta": 100}},
        ["--budget", "5000", "--min", "Meta=200%", "--max", "Meta=100"],
        "Meta's minimum",
    ),
    "start inside the data": (
        {"budget": 5000, "start": "2025-06-01"},
        ["--budget", "5000", "--start", "2025-06-01"],
        "The plan must start after the data ends (31 Dec 2025); 01 Jun 2025 is inside it.",
    ),
    "a start that is no date": (
        {"budget": 5000, "start": "next week"},
        ["--budget", "5000", "--start", "next week"],
        "is not a date",
    ),
    "no days": ({"budget": 5000, "days": 0}, ["--budget", "5000", "--days", "0"], "1 to 366 days (got 0)"),
    "a negative budget": (
        {"budget": -5},
        ["--budget", "-5"],
        "A budget (a number from 0 to 1,000,000,000,000) is needed",
    ),
    "a target of zero": (
        {"mode": "target-mroas", "target": 0},
        ["--mode", "target-mroas", "--target", "0"],
        "must be a number above 0",
    ),
}


@pytest.mark.parametrize("case", OPTIMIZE_MISTAKES, ids=list(OPTIMIZE_MISTAKES))
def test_optimize_mistakes_are_422_with_the_clis_sentence(
    http: requests.Session, server: ApiServer, folders: list[str], case: str
) -> None:
    body, options, words = OPTIMIZE_MISTAKES[case]
    message = assert_error(call(http, server, "POST", "/optimize", json=body), 422)
    assert words in message, message
    assert message == cli_error("optimize", *options, *folders)


def test_budget_mode_without_a_budget_is_422(http: requests.Session, server: ApiServer) -> None:
    message = assert_error(call(http, server, "POST", "/optimize", json={"days": 14}), 422)
    assert message == "A budget (a number from 0 to 1,000,000,000,000) is needed to split a fixed budget."


def test_channel_names_match_whatever_their_case(http: requests.Session, server: ApiServer) -> None:
    typed = call(http, server, "POST", "/plan", json={"spend": {"meta": 100, "TIKTOK": 50}})
    exact = call(http, server, "POST", "/plan", json={"spend": {"Meta": 100, "TikTok": 50}})
    assert typed.status_code == exact.status_code == 200
    assert typed.json() == exact.json()


@pytest.mark.parametrize(
    ("body", "sentence"),
    [
        ({"spend": {"Snapchat": 100}}, f"Unknown channel 'Snapchat'; {KNOWN}"),
        ({"spend": {"Meta": 1e300}}, "Spend for Meta must be a number from 0 to 1,000,000,000,000"),
        ({"spend": {"Meta": -5}}, "Spend for Meta must be a number from 0 to 1,000,000,000,000 (got -5.0)."),
        ({"spend": {"Meta": 5}, "start": "2025-12-31"}, "The plan must start after the data ends (31 Dec 2025); "),
        ({"spend": {"Meta": 5}, "days": 367}, "The plan's length must be 1 to 366 days (got 367)."),
    ],
)
def test_plan_mistakes_are_422(http: requests.Session, server: ApiServer, body: dict, sentence: str) -> None:
    message = assert_error(call(http, server, "POST", "/plan", json=body), 422)
    assert message.startswith(sentence), message


def test_concurrent_plans_share_the_saved_fit(http: requests.Session, server: ApiServer) -> None:
    """Plans scored at once from the one posterior answer exactly as one at a time (nothing shared is mutated)."""
    bodies = [{"spend": {"Meta": 1000.0 * (i + 1), "TikTok": 500.0 * i}, "days": 7 + i} for i in range(4)]
    alone = [call(http, server, "POST", "/plan", json=body).json() for body in bodies]

    def one(body: dict) -> dict:
        with requests.Session() as session:
            return call(session, server, "POST", "/plan", json=body).json()

    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(one, bodies * 2))
    assert together == alone * 2


def test_the_bodies_offer_the_planners_own_modes_and_spreads() -> None:
    fields = OptimizeBody.model_fields
    assert get_args(fields["mode"].annotation) == MODES
    assert get_args(fields["spread"].annotation) == get_args(PlanBody.model_fields["spread"].annotation) == SPREADS
