"""The one error ingestion raises; every step below load.py raises it, so it sits at the bottom."""

from __future__ import annotations


class IngestError(ValueError):
    """A file that cannot be used; str(exc) is one plain sentence naming the problem."""
