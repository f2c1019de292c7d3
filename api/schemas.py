"""Request bodies of the JSON endpoints, with the examples /docs shows (each one works as written on the demo
models). Categories stay plain strings here: the pipeline matches them case-insensitively against the model's
known values and answers an unknown one with 422 listing them (pipeline.modeling.planner.resolve_category)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, field_validator

CATEGORY_HELP = "Matched case-insensitively; leave it out for the model's most common value."


class PredictLine(BaseModel):
    """One spend scenario, as `python -m pipeline predict` takes it."""

    model_config = ConfigDict(extra="forbid")

    platform: str = Field(description="Instagram, Meta or TikTok (case-insensitive).", examples=["meta"])
    spend: float = Field(description="Daily spend in the data's currency.", examples=[1000])
    device: str | None = Field(default=None, description=CATEGORY_HELP)
    campaign_type: str | None = Field(default=None, description=CATEGORY_HELP)
    content_type: str | None = Field(default=None, description=CATEGORY_HELP)
    ad_set: str | None = Field(default=None, description=CATEGORY_HELP)


class PredictBatch(BaseModel):
    """Several scenarios in one request, answered in one model call."""

    model_config = ConfigDict(extra="forbid")

    lines: list[PredictLine] = Field(min_length=1, description="One to the server's batch limit (default 10,000).")


def _predict_kind(value: Any) -> str:
    """A body with `lines` is a batch; anything else is one line."""
    return "batch" if isinstance(value, dict) and "lines" in value else "line"


PredictBody = Annotated[
    Annotated[PredictLine, Tag("line")] | Annotated[PredictBatch, Tag("batch")], Discriminator(_predict_kind)
]

PREDICT_EXAMPLES = {
    "one line": {
        "summary": "One line (same JSON as `python -m pipeline predict --platform Meta --spend 1000 --json`)",
        "value": {"platform": "meta", "spend": 1000},
    },
    "one line, every field": {
        "summary": "One line with every category",
        "value": {
            "platform": "TikTok",
            "spend": 250.5,
            "device": "mobile",
            "campaign_type": "conversion",
            "content_type": "video",
            "ad_set": "lookalike",
        },
    },
    "batch": {
        "summary": "A batch: {count, predictions}, each prediction as for one line",
        "value": {"lines": [{"platform": "Meta", "spend": 500}, {"platform": "instagram", "spend": 800}]},
    },
}


class OptimizeLinesBody(BaseModel):
    """`python -m pipeline optimize-lines --budget B --objective O`: the forecaster's per-line optimizer."""

    model_config = ConfigDict(extra="forbid")

    budget: float = Field(gt=0, description="The total to split across the default lines.", examples=[50000])
    objective: Literal["revenue", "conversions"] = Field(default="revenue", description="What to maximise.")

    @field_validator("objective", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value


OPTIMIZE_LINES_EXAMPLES = {
    "revenue": {"summary": "Split 50,000 for revenue", "value": {"budget": 50000}},
    "conversions": {
        "summary": "Split 20,000 for conversions",
        "value": {"budget": 20000, "objective": "conversions"},
    },
}


class ErrorBody(BaseModel):
    """Every error: one sentence, no traceback."""

    error: str


# What each error status means, and an answer it gives.
ERRORS = {
    400: (
        "The body is not valid JSON.",
        "The body is not valid JSON; send a JSON object with Content-Type: application/json.",
    ),
    401: ("No bearer token, or a wrong one.", "The bearer token is not valid."),
    413: (
        "The body, the upload or the batch is above the server's limit.",
        "The batch has 12,000 lines; the limit is 10,000 per request.",
    ),
    415: ("The body has the wrong content type.", "/predict takes application/json, not text/plain."),
    422: (
        "Input the pipeline cannot use: a refused file, an unknown category or dimension, a bad number.",
        "Unknown platform 'MySpace'; the model knows: Instagram, Meta, TikTok.",
    ),
    503: (
        "The data or the models are missing.",
        "The forecaster cannot be used (forecaster: no model file); run `make models` (or `python -m pipeline "
        "ensure-models`) and try again.",
    ),
}


def documented(
    answer: str, *statuses: int, example: dict[str, Any] | None = None, errors: dict[int, str] | None = None
) -> dict[int | str, dict[str, Any]]:
    """OpenAPI responses of an endpoint: its answer (a JSON object, described, with `example` if given) and the
    errors it can give (`errors` replaces the generic example sentence of a status with the endpoint's own)."""
    answer_content: dict[str, Any] = {"schema": {"type": "object"}}
    if example is not None:
        answer_content["example"] = example
    responses: dict[int | str, dict[str, Any]] = {
        200: {"description": answer, "content": {"application/json": answer_content}}
    }
    for status in statuses:
        meaning, sample = ERRORS[status]
        content = {"application/json": {"example": {"error": (errors or {}).get(status, sample)}}}
        responses[status] = {"model": ErrorBody, "description": meaning, "content": content}
    return responses


def _channel_example(spend: float, decay: float, half_saturation: float, calibrated: bool, **measures: Any) -> dict:
    """One channel of the /mmm example; each measure given as (mean, low, high), as the answer spells it out."""
    channel: dict[str, Any] = {"spend": spend}
    for name in ("contribution", "roas", "mroas"):
        mean, low, high = measures[name]
        channel |= {name: mean, f"{name}_ci": [low, high]}
    return channel | {"adstock_decay": decay, "half_saturation": half_saturation, "calibrated": calibrated}


# The demo data's answer (rounded): the shape `python -m pipeline mmm --json` prints, one entry per channel.
MMM_EXAMPLE = {
    "channels": {
        "Meta": _channel_example(
            198338.91,
            decay=0.316,
            half_saturation=899.68,
            calibrated=False,
            contribution=(279593.5, 211011.14, 356978.05),
            roas=(1.41, 1.064, 1.8),
            mroas=(1.381, 1.118, 1.666),
        ),
        "TikTok": _channel_example(
            216996.44,
            decay=0.627,
            half_saturation=842.07,
            calibrated=False,
            contribution=(177656.02, 110038.84, 257555.4),
            roas=(0.819, 0.507, 1.187),
            mroas=(0.59, 0.374, 0.818),
        ),
        "Influencers": _channel_example(
            62314.1,
            decay=0.402,
            half_saturation=2315.91,
            calibrated=True,
            contribution=(41719.66, 37366.91, 45837.87),
            roas=(0.67, 0.6, 0.736),
            mroas=(0.656, 0.543, 0.774),
        ),
    },
    "baseline_share": 0.662,
    "fit": {"r2": 0.815, "mape": 0.052, "holdout_mape": 0.068},
    "diagnostics": {"r_hat_max": 1.02, "ess_bulk_min": 113.0, "divergences": 58},
    "seconds": 30.6,
}
MMM_ERRORS = {
    422: "The media mix model needs a sales table (sales.csv: date, revenue) and there is none.",
    503: "No saved media mix fit matches this data yet; run `python -m pipeline mmm` (or open the Media mix page) "
    "to fit it, then try again.",
}
