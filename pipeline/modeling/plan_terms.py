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
# In budget mode each channel stays within ±30% of its current-mix spend (scaled to the budget) unless the planner
# widens it: Meridian's optimiser default. The curves are fitted on the spend the data has seen; far from it, the
# 20-seed study found the recommendation could lose to the current mix (README "Forward planner").
DEFAULT_MAX_SHIFT = 0.30
MODE_LABELS = {
    "budget": "Split a fixed budget",
    "target-mroas": "Largest budget with marginal ROAS ≥ target",
    "target-roas": "Largest budget with ROAS ≥ target",
}
