"""Tables that read well in a notebook: the readable columns first, numbers without scientific notation,
technical column names labelled. Only the *display* changes: the data, the columns and their order are the
frame's own (``df.columns``, ``df["value"]``, ``df.to_csv()`` are unchanged).

pandas hides the middle columns of a wide frame and writes a column that mixes 160246 and 0.5 as
``1.602460e+05``; :func:`readable` returns the frame as a :class:`ReadableFrame`, whose text and HTML reprs show
the named columns first (the HTML repr of a notebook: then the others, of which pandas hides the middle ones as
usual; the text repr: the named columns wrapped to the terminal's width, then the names of the others), every
float in plain positional notation (six significant digits), and headers relabelled (``group_1`` -> ``group_1:
Hovedstadskommuner (%)``). Slices and copies (``.head()``, ``df[mask]``) keep it.

Example
-------
>>> import pandas as pd
>>> df = readable(pd.DataFrame({"value": [160246.0, 0.5], "label_da": ["Folketal", "Andel"]}), ["label_da", "value"])
>>> print(df)
   label_da  value
0  Folketal 160246
1     Andel    0.5
>>> print(readable(df, ["label_da"]))
   label_da
0  Folketal
1     Andel
(and 1 more columns: value; every column: .columns)
>>> list(df.columns)
['value', 'label_da']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

__all__ = ["CLUSTER_COLUMNS", "FIGURE_COLUMNS", "PEER_COLUMNS", "ReadableFrame", "SEAT_COLUMNS", "plain_number",
           "readable"]

FIGURE_COLUMNS = ("entity_name", "label_da", "display", "value", "unit", "period", "region_value", "country_value",
                  "vs_region", "vs_country", "trend_da")
"""Shown first in key figures and health indicators (``kd.key_figures``, ``kd.indicator_figures``)."""
PEER_COLUMNS = ("rank", "name", "region_name", "population", "growth_pct", "share_65_plus", "share_80_plus",
                "group_1", "group_2", "group_3", "group_4", "group_5", "distance", "unit_id")
"""Shown first in ``kd.peers``."""
SEAT_COLUMNS = ("role_da", "municipality_name", "count_min", "count_max", "observer", "appointed_by", "note_da")
"""Shown first in ``kd.seats`` and ``Cluster.seats``."""
CLUSTER_COLUMNS = ("cluster_id", "name", "region_name", "n_municipalities", "municipalities", "hospitals", "note")
"""Shown first in ``kd.clusters()``."""


def plain_number(value: float) -> str:
    """A float in positional notation, six significant digits, no trailing zeros.

    >>> plain_number(160246.0), plain_number(1 / 3), plain_number(1.2e-7), plain_number(2.5e9)
    ('160246', '0.333333', '0.00000012', '2500000000')
    """
    if not np.isfinite(value):
        return str(value)
    return np.format_float_positional(value, precision=6, unique=True, fractional=False, trim="-")


class ReadableFrame(pd.DataFrame):
    """A :class:`pandas.DataFrame` with a readable display (see the module docstring)."""

    _metadata = ["_kd_first", "_kd_labels"]

    @property
    def _constructor(self) -> type[ReadableFrame]:
        return ReadableFrame

    def _view(self) -> pd.DataFrame:
        """A plain frame for display: the named columns first, the labels as headers."""
        first = [c for c in getattr(self, "_kd_first", ()) if c in self.columns]
        rest = [c for c in self.columns if c not in first]
        view = pd.DataFrame(self)
        if first and len(set(self.columns)) == len(self.columns):
            view = view[first + rest]
        labels: Mapping[str, str] = getattr(self, "_kd_labels", None) or {}
        return view.rename(columns=lambda c: labels.get(c, c)) if labels else view

    def _first_count(self) -> int:
        return len([c for c in getattr(self, "_kd_first", ()) if c in self.columns])

    def __repr__(self) -> str:
        """The readable columns only (wrapped to the terminal's width, none hidden), then the other columns'
        names; every column in the HTML repr."""
        view, n = self._view(), self._first_count()
        if not n or n == len(view.columns) or len(set(self.columns)) != len(self.columns):
            with pd.option_context("display.float_format", plain_number):
                return repr(view)
        rest = [str(c) for c in view.columns[n:]]
        with pd.option_context("display.float_format", plain_number, "display.max_columns", None):
            text = repr(view.iloc[:, :n])
        listed = ", ".join(rest[:8]) + (", …" if len(rest) > 8 else "")
        return f"{text}\n(and {len(rest)} more columns: {listed}; every column: .columns)"

    def _repr_html_(self) -> str | None:
        with pd.option_context("display.float_format", plain_number):
            return self._view()._repr_html_()


def readable(frame: pd.DataFrame, first: Iterable[str], labels: Mapping[str, str] | None = None) -> ReadableFrame:
    """``frame`` (same data, columns and attrs) as a :class:`ReadableFrame` showing ``first`` first and the
    headers ``labels`` gives (column -> label).

    Example
    -------
    >>> readable(pd.DataFrame({"a": [1]}), ["a"]).attrs
    {}
    """
    out = ReadableFrame(frame)
    out.attrs = dict(frame.attrs)
    out._kd_first = tuple(first)
    out._kd_labels = dict(labels or {})
    return out

