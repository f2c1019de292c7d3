"""The demo campaign rows the cube and overview tests share."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.inputs.demo import read_campaigns


@pytest.fixture(scope="module")
def demo(demo_dir) -> pd.DataFrame:
    return read_campaigns(demo_dir)
