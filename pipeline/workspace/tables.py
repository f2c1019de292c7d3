"""How a kept table is stored: Parquet bytes plus a JSON note on its categorical columns, so that it loads back
with exactly the dtypes it was kept with, and with its provenance mark (what is estimated, whether it is undated)."""

from __future__ import annotations

import io
import json

import pandas as pd

from pipeline.inputs.provenance import PROVENANCE_ATTR

# The attrs a kept table keeps: its provenance (estimated measures, undated). Others, such as the cache token of
# the session that made the frame, are left out: a token must never be shared by two loads.
KEPT_ATTRS = (PROVENANCE_ATTR,)


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    """One table as Parquet bytes, with the attrs in KEPT_ATTRS (pandas writes attrs into the Parquet metadata and
    read_parquet restores them)."""
    plain = frame.copy(deep=False)
    plain.attrs = {key: frame.attrs[key] for key in KEPT_ATTRS if key in frame.attrs}
    buffer = io.BytesIO()
    plain.to_parquet(buffer)
    return buffer.getvalue()


def category_dtypes(frame: pd.DataFrame) -> str:
    """JSON of the categorical columns' dtypes (categories, their dtype, order). Parquet brings categories back as
    pandas' default str, and integer categories as plain integers, so they are rebuilt from this on the way back."""
    kinds = {}
    for column, dtype in frame.dtypes.items():
        if isinstance(dtype, pd.CategoricalDtype):
            kinds[str(column)] = {
                "dtype": _dtype_spec(dtype.categories.dtype),
                "ordered": bool(dtype.ordered),
                "categories": dtype.categories.astype(object).tolist(),
            }
    return json.dumps(kinds, default=str)  # e.g. timestamps as ISO text, parsed back by the dtype


def _dtype_spec(dtype: object) -> dict[str, str]:
    if isinstance(dtype, pd.StringDtype):
        return {"string": dtype.storage, "na": "NA" if dtype.na_value is pd.NA else "nan"}
    return {"numpy": str(dtype)}


def _from_spec(spec: dict[str, str]) -> object:
    if "string" in spec:
        return pd.StringDtype(spec["string"], na_value=pd.NA if spec["na"] == "NA" else float("nan"))
    return pd.api.types.pandas_dtype(spec["numpy"])


def read_table(payload: bytes, categories: str) -> pd.DataFrame:
    """A kept table back from its Parquet bytes, its categorical columns rebuilt with their exact dtype."""
    frame = pd.read_parquet(io.BytesIO(payload))
    frame.attrs = {key: frame.attrs[key] for key in KEPT_ATTRS if key in frame.attrs}  # whatever else the file holds
    for column, spec in json.loads(categories or "{}").items():
        if column in frame.columns:
            values = pd.Index(spec["categories"], dtype=object).astype(_from_spec(spec["dtype"]))
            dtype = pd.CategoricalDtype(values, ordered=spec["ordered"])
            frame[column] = pd.Categorical(frame[column], dtype=dtype)
    return frame
