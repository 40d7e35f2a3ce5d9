"""Compact frames: the text columns of millions of rows held as categories (a code per row, each text once) and
turned into strings only where a frame leaves in its documented schema — one column, or one parquet row group, at
a time.

Example
-------
>>> import pandas as pd
>>> as_string(pd.Series(["0851", "0851", None], dtype="category")).tolist()
['0851', '0851', <NA>]
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import pandas as pd

ROW_GROUP = 1 << 18
"""Rows converted and written at a time by :func:`write_parquet`."""


def as_string(values: pd.Series) -> pd.Series:
    """``values.astype("string")``; a categorical's categories are converted once and taken by code.

    Example
    -------
    >>> as_string(pd.Series(["b", None, "b"], dtype="category")).tolist()
    ['b', <NA>, 'b']
    """
    if not isinstance(values.dtype, pd.CategoricalDtype):
        return values.astype("string")
    categories = values.cat.categories.astype("string").array
    return pd.Series(categories.take(values.cat.codes.to_numpy(), allow_fill=True), index=values.index,
                     name=values.name)


def write_parquet(path: str | os.PathLike[str], frame: pd.DataFrame, as_strings: Sequence[str]) -> None:
    """``frame.to_parquet(path, index=False)`` with the categorical columns ``as_strings`` written as ``string``
    columns (the same schema and pandas metadata as for a frame of strings), :data:`ROW_GROUP` rows at a time.

    Example
    -------
    >>> import tempfile
    >>> f = pd.DataFrame({"code": pd.Categorical(["0851", "0860"]), "n": [1, 2]})  # constructed example
    >>> path = tempfile.mkdtemp() + "/x.parquet"
    >>> write_parquet(path, f, ["code"])
    >>> pd.read_parquet(path)["code"].dtype.name
    'string'
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    def part(rows: pd.DataFrame) -> pd.DataFrame:
        return rows.assign(**{c: as_string(rows[c]) for c in as_strings})

    schema = pa.Schema.from_pandas(part(frame.iloc[:0]), preserve_index=False)
    with pq.ParquetWriter(path, schema) as writer:
        for start in range(0, max(len(frame), 1), ROW_GROUP):
            writer.write_table(pa.Table.from_pandas(part(frame.iloc[start:start + ROW_GROUP]), schema=schema,
                                                    preserve_index=False))
