"""The forward planner's vocabulary, importable without numpy or pandas (the CLI's parser needs it)."""

from __future__ import annotations

DEFAULT_DAYS = 28
MAX_DAYS = 366
SPREADS = ("even", "recent", "front-loaded")
SPREAD_LABELS = {
    "even": "the same every day",
    "recent": "like the last days of data (weekday pattern kept)",
    "front-loaded": "front-loaded (the first day gets 3× the last)",
}
MODES = ("budget", "target-mroas", "target-roas")
MODE_LABELS = {
    "budget": "Split a fixed budget",
    "target-mroas": "Largest budget with marginal ROAS ≥ target",
    "target-roas": "Largest budget with ROAS ≥ target",
}
