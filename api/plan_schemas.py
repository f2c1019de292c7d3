"""Request bodies of the forward planner on the media mix model (`POST /optimize`, `POST /plan`), with the examples
/docs shows: each works as written on the demo data's saved fit (channels Instagram, Meta, TikTok and Influencers).

Ranges (days 1–366, a start after the data, bounds that can meet the budget, known channels, spend ≥ 0) are checked
by the pipeline, so the API answers with the CLI's own sentences; the bodies only check types and shapes."""

from __future__ import annotations

import math
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from api.schemas import MMM_ERRORS
from pipeline.modeling.plan_terms import DEFAULT_DAYS, DEFAULT_MAX_SHIFT, MAX_DAYS

# A bound given as a share of the channel's current-mix spend, as the CLI writes it (`--min Meta=80%`).
PERCENT = re.compile(r"^\s*\d+(?:\.\d+)?\s*%\s*$")
LIMIT_HELP = (
    "Per channel, its {which} spend over the window: an amount, or a share of its current-mix spend as a string "
    'such as "80%" (the CLI\'s `--{flag} CHANNEL=AMOUNT|PCT%`).'
)
WINDOW_FIELDS = {
    "days": f"Length of the window in days (1 to {MAX_DAYS}).",
    "start": "First day, YYYY-MM-DD; leave it out for the day after the data ends (it may not overlap the data).",
    "spread": "How each channel's total is spread over the days: even, recent (like the last days of data, weekday "
    "pattern kept) or front-loaded (the first day gets 3× the last).",
}
Spread = Literal["even", "recent", "front-loaded"]


def _limit_text(channel: str, value: Any) -> str:
    """One bound as the CLI's CHANNEL=AMOUNT or CHANNEL=PCT% text (422 for a value that is neither; the pipeline
    checks the channel and the amount's range)."""
    if not channel.strip() or "=" in channel:
        raise PydanticCustomError("channel", "{channel} is not a channel name", {"channel": repr(channel)})
    if isinstance(value, str) and PERCENT.match(value):
        return f"{channel}={value.strip()}"
    amount = _number(value) if isinstance(value, int | float | str) and not isinstance(value, bool) else None
    if amount is None:
        message = '{channel}\'s bound must be an amount or a percentage such as "80%" (got {value})'
        raise PydanticCustomError("limit", message, {"channel": channel, "value": repr(value)})
    return f"{channel}={amount!r}"


def _number(value: float | str) -> float | None:
    """A finite number given as a number or as text ("5000"), else None."""
    try:
        amount = float(value)
    except (ValueError, OverflowError):
        return None
    return amount if math.isfinite(amount) else None


class OptimizeBody(BaseModel):
    """`python -m pipeline optimize`: split next period's budget across the channels on the media mix model."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    budget: float | None = Field(
        default=None,
        description="The window's total, in the data's currency (needed in budget mode; the target modes report "
        "the budget they find).",
        examples=[100000],
    )
    days: int = Field(default=DEFAULT_DAYS, description=WINDOW_FIELDS["days"])
    start: str | None = Field(default=None, max_length=40, description=WINDOW_FIELDS["start"])
    mode: Literal["budget", "target-mroas", "target-roas"] = Field(
        default="budget",
        description="budget: split a fixed budget for the most incremental revenue; target-mroas: the largest "
        "budget whose marginal ROAS stays ≥ target; target-roas: the largest budget whose ROAS stays ≥ target.",
    )
    target: float = Field(default=1.0, description="The marginal ROAS or ROAS target (target modes).")
    min: dict[str, float | str] = Field(default_factory=dict, description=LIMIT_HELP.format(which="least", flag="min"))
    max: dict[str, float | str] = Field(default_factory=dict, description=LIMIT_HELP.format(which="most", flag="max"))
    spread: Spread = Field(default="even", description=WINDOW_FIELDS["spread"])
    max_shift: float | None = Field(
        default=round(DEFAULT_MAX_SHIFT * 100, 6),
        ge=0,
        le=1e6,
        description="Budget mode: channels without a min or max stay within ± this percentage of their current-mix "
        "spend (Meridian's default, 30); null lifts it. Ignored in the target modes.",
    )

    @field_validator("min", "max", mode="before")
    @classmethod
    def _as_cli_text(cls, limits: Any) -> Any:
        """Each bound must make a CLI text (checked before pydantic's own, whose union errors read badly)."""
        for channel, value in limits.items() if isinstance(limits, dict) else ():
            _limit_text(str(channel), value)
        return limits

    def limit_texts(self) -> dict[str, Any]:
        """The bounds as optimize_answer's `minimum` and `maximum` (CHANNEL=AMOUNT or CHANNEL=PCT% texts), and the
        largest move as a share."""
        return {
            "minimum": [_limit_text(channel, value) for channel, value in self.min.items()],
            "maximum": [_limit_text(channel, value) for channel, value in self.max.items()],
            "max_shift": None if self.max_shift is None else self.max_shift / 100.0,
        }


class PlanBody(BaseModel):
    """`python -m pipeline plan`: score a given split of next period's budget on the media mix model."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    spend: dict[str, float] = Field(
        min_length=1,
        description="Each channel's total spend over the window (channels left out spend nothing; a channel "
        "spending 0 shows the carry-in of past spend alone).",
        examples=[{"Meta": 40000, "TikTok": 30000, "Influencers": 5000}],
    )
    days: int = Field(default=DEFAULT_DAYS, description=WINDOW_FIELDS["days"])
    start: str | None = Field(default=None, max_length=40, description=WINDOW_FIELDS["start"])
    spread: Spread = Field(default="even", description=WINDOW_FIELDS["spread"])


def _example(summary: str, value: dict[str, Any]) -> dict[str, Any]:
    return {"summary": summary, "value": value}


OPTIMIZE_EXAMPLES = {
    "budget": _example(
        "Split 100,000 over the next 28 days (= optimize --budget 100000 --json)", {"budget": 100000, "days": 28}
    ),
    "budget with bounds": _example(
        "Split 100,000; Meta keeps at least 80% of its current-mix spend, TikTok gets at most 30,000",
        {"budget": 100000, "min": {"Meta": "80%"}, "max": {"TikTok": 30000}, "spread": "recent"},
    ),
    "target-mroas": _example(
        "The largest budget whose marginal ROAS stays ≥ 1 (every extra dollar pays back)",
        {"mode": "target-mroas", "target": 1},
    ),
    "target-roas": _example(
        "The largest budget whose ROAS stays ≥ 1.2 over a 14-day window",
        {"mode": "target-roas", "target": 1.2, "days": 14},
    ),
}
PLAN_EXAMPLES = {
    "a split": _example(
        "Score a split of 75,000 over the next 28 days (= plan --spend Meta=40000 ... --json)",
        {"spend": {"Meta": 40000, "TikTok": 30000, "Influencers": 5000}},
    ),
    "front-loaded": _example(
        "A 14-day burst, front-loaded",
        {"spend": {"Meta": 20000, "TikTok": 10000}, "days": 14, "spread": "front-loaded"},
    ),
    "carry-in only": _example("No spend: what past spend still brings in over 28 days", {"spend": {"Meta": 0}}),
}
PLAN_ANSWER = (
    "{allocation: [{channel, spend, share, predicted_revenue, predicted_revenue_ci, mroas, extrapolated, ...}], "
    "budget, predicted_revenue (incremental, carry-in included), predicted_revenue_ci, carry_in, roas, mroas, "
    "baseline (the current mix at the same budget), equal_split, days, start, spread, mode, method, note, target}; "
    "every interval 90% from the posterior draws."
)
PLAN_ERRORS = {
    422: "Unknown channel 'Snapchat'; the model knows Instagram, Meta, TikTok, Influencers.",
    503: MMM_ERRORS[503],
}
