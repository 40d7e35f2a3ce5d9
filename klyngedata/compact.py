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

import io
import os
from collections.abc import Sequence
from typing import Any

import pandas as pd

ROW_GROUP = 1 << 18
"""Rows converted and written at a time by :func:`write_parquet`."""

BIG = 1 << 20
"""A parquet file of more rows than this is read a column at a time by :func:`read_parquet`."""


def release_memory() -> None:
    """Give memory that is free again back to the system: pyarrow's unused buffers and, with glibc, the C
    heap's free pages (``malloc_trim``). Between the steps of an import of millions of rows the heap is
    otherwise left holding the steps' freed arrays, and the process's size grows by each step's peak.

    Example
    -------
    >>> release_memory()  # does nothing where neither applies
    """
    import pyarrow

    pyarrow.default_memory_pool().release_unused()
    if _libc is not None:
        _libc.malloc_trim(0)


def _load_libc() -> Any:
    """glibc, when this process runs on it (``None`` elsewhere: musl, macOS, Windows)."""
    import ctypes
    import ctypes.util
    import platform

    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.malloc_trim.argtypes = [ctypes.c_size_t]
        return libc
    except (OSError, AttributeError):
        return None


_libc = _load_libc()


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
            release_memory()  # (else the heap keeps each row group's buffers)


def read_parquet(data: bytes, **kwargs: Any) -> pd.DataFrame:
    """``pd.read_parquet(io.BytesIO(data), **kwargs)``; a file of more than :data:`BIG` rows (without filters or a
    stored index) is read a column at a time and pyarrow's buffers are let go after each, so that reading peaks
    at about the frame and one column instead of the whole arrow table and the frame.

    Example
    -------
    >>> buf = io.BytesIO()
    >>> pd.DataFrame({"code": ["0851", "0860"], "n": [1, 2]}).to_parquet(buf, index=False)  # constructed example
    >>> read_parquet(buf.getvalue(), read_dictionary=["code"])["code"].dtype.name
    'category'
    """
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(io.BytesIO(data)).metadata
    stored_index = any(not isinstance(i, dict) for i in (meta.schema.to_arrow_schema().pandas_metadata or {})
                       .get("index_columns", []))
    if "filters" in kwargs or meta.num_rows <= BIG or stored_index:
        return pd.read_parquet(io.BytesIO(data), **kwargs)
    dictionary = set(kwargs.pop("read_dictionary", ()))
    names = kwargs.pop("columns", None) or meta.schema.to_arrow_schema().names
    parts = {}
    for c in names:
        parts[c] = pd.read_parquet(io.BytesIO(data), columns=[c], read_dictionary=[c] if c in dictionary else None,
                                   **kwargs)[c]
        release_memory()
    return pd.DataFrame(parts)
