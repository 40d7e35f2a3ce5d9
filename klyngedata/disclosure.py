"""Small-count disclosure control: primary and secondary suppression of published figures.

Rules (enforced here, called by the figure functions themselves – there is no switch that returns
unsuppressed counts):

* **Primary suppression.** A count of 1 … ``threshold - 1`` persons (default threshold 5, i.e. 1–4) is
  never shown. Zero is shown. A rate or share built on such a numerator *or* denominator is hidden too.
* **Secondary suppression.** Figures are published in *additive groups* (a total and its members, e.g.
  a cluster and its member municipalities, a region and its clusters, Denmark and its regions). Within each
  group no hidden value may be derivable by subtraction: if exactly one cell of a group (total included)
  is hidden, the next smallest cell is hidden as well, and if the total is shown, the hidden members must
  together hold 0 or at least ``threshold`` (otherwise ``total - shown members`` would reveal a small
  count). This is repeated over all groups until nothing changes, so protection propagates between levels
  (a hidden cluster total forces a second hidden cell among its municipalities and in its region).
* **Marking.** Suppressed cells keep their row, get ``suppressed = True`` and a ``display`` text:
  ``"<5"`` for primary suppression, ``"x"`` for secondary suppression; the hidden value is removed from
  every value/count column of the published frame (set to missing).

Cells whose count is missing (not computable) are treated as unknown to the reader: they count as
unknown in a group but are never picked as secondary cells.

Example
-------
>>> import pandas as pd
>>> t = pd.DataFrame({"entity_id": ["K", "a", "b", "c"], "numerator": [20, 3, 7, 10],
...                   "denominator": [200, 50, 70, 80]})
>>> out = suppress(t, groups=[("K", ["a", "b", "c"])], key="entity_id", value_columns=[])
>>> out["display"].tolist()
['20', '<5', 'x', '10']
>>> out["numerator"].isna().tolist()
[False, True, True, False]
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from klyngedata.exceptions import KlyngedataError

__all__ = [
    "DEFAULT_THRESHOLD",
    "NOTE_DA",
    "PRIMARY_MARK",
    "SECONDARY_MARK",
    "format_number_da",
    "protect",
    "suppress",
    "suppress_key_figures",
]

DEFAULT_THRESHOLD = 5
SECONDARY_MARK = "x"
PRIMARY_MARK = "<{threshold}"
NOTE_DA = (
    "<5: færre end 5 personer (tallet vises ikke). x: tallet er skjult, så et tal under 5 ikke kan regnes ud "
    "ved at trække viste tal fra hinanden. Andele og rater bygget på skjulte tal vises heller ikke."
)

Group = tuple[Hashable, Sequence[Hashable]]


def format_number_da(value: float | int | None, decimals: int = 0) -> str:
    """Format a number the Danish way (``.`` thousands separator, ``,`` decimal comma); ``""`` if missing.

    Example
    -------
    >>> format_number_da(1234567), format_number_da(12.345, 1), format_number_da(None)
    ('1.234.567', '12,3', '')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    from klyngedata.formatting import number

    return number(value, decimals)  # one typography rule (minus sign "−") for every published number


def _as_float_array(values: Iterable[object] | None, n: int) -> np.ndarray:
    if values is None:
        return np.full(n, np.nan)
    arr = pd.to_numeric(pd.Series(list(values), dtype="object"), errors="coerce").astype("float64").to_numpy()
    if len(arr) != n:
        raise KlyngedataError(f"disclosure: got {len(arr)} values for {n} cells")
    return arr


def _is_small(x: np.ndarray, threshold: int) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return (x > 0) & (x < threshold)


def protect(
    numerators: Sequence[object],
    groups: Sequence[tuple[int, Sequence[int]]],
    denominators: Sequence[object] | None = None,
    threshold: int = DEFAULT_THRESHOLD,
) -> tuple[np.ndarray, np.ndarray]:
    """Decide which cells to hide. Returns ``(primary, secondary)`` boolean arrays.

    ``numerators``/``denominators`` are the counts per cell (missing = not computable); ``groups`` are
    additive groups given as ``(total_index, [member_indices])`` with ``total = sum(members)``.

    Example (constructed): a total 20 = 3 + 7 + 10; 3 is primary, 7 the next smallest, hidden as secondary.

    >>> p, s = protect([20, 3, 7, 10], [(0, [1, 2, 3])])
    >>> p.tolist(), s.tolist()
    ([False, True, False, False], [False, False, True, False])
    """
    if threshold < 1:
        raise KlyngedataError(f"disclosure: threshold must be >= 1, got {threshold}")
    num = _as_float_array(numerators, len(numerators))
    n = len(num)
    den = _as_float_array(denominators, n)
    for arr, name in ((num, "numerator"), (den, "denominator")):
        bad = np.isfinite(arr) & (arr < 0)
        if bad.any():
            raise KlyngedataError(f"disclosure: negative {name} in cell {int(np.flatnonzero(bad)[0])}")
    primary = _is_small(num, threshold) | _is_small(den, threshold)
    hidden = primary.copy()
    unknown = ~np.isfinite(num)  # not computable: unknown to the reader, but never a candidate
    groups = [(int(t), [int(m) for m in members]) for t, members in groups]
    for t, members in groups:
        for i in [t, *members]:
            if not 0 <= i < n:
                raise KlyngedataError(f"disclosure: group index {i} out of range (0..{n - 1})")

    def sort_key(i: int) -> tuple[float, float, int]:
        a = num[i] if np.isfinite(num[i]) else math.inf
        b = den[i] if np.isfinite(den[i]) else math.inf
        return (a, b, i)

    changed = True
    while changed:
        changed = False
        for t, members in groups:
            cells = [t, *members]
            while True:
                closed = [i for i in cells if hidden[i] or unknown[i]]
                if not any(hidden[i] for i in cells):
                    break
                need = len(closed) == 1
                if not need and not (hidden[t] or unknown[t]):
                    hidden_members = [i for i in members if hidden[i]]
                    for arr in (num, den):
                        vals = arr[hidden_members]
                        s = float(np.nansum(vals)) if len(vals) else 0.0
                        if 0 < s < threshold:
                            need = True
                if not need:
                    break
                candidates = sorted((i for i in members if not hidden[i] and not unknown[i]), key=sort_key)
                if not candidates and not hidden[t] and not unknown[t]:
                    candidates = [t]
                if not candidates:
                    break  # everything in the group is hidden already
                hidden[candidates[0]] = True
                changed = True
    secondary = hidden & ~primary
    return primary, secondary


def suppress(
    frame: pd.DataFrame,
    *,
    groups: Sequence[Group] | Mapping[Hashable, Sequence[Hashable]],
    key: str | Sequence[str] = ("entity_level", "entity_id"),
    numerator: str = "numerator",
    denominator: str | None = "denominator",
    value_columns: Sequence[str] = ("value",),
    slice_columns: Sequence[str] = (),
    threshold: int = DEFAULT_THRESHOLD,
    decimals: int | str = 0,
) -> pd.DataFrame:
    """Apply primary and secondary suppression to a tidy table and return the publishable frame.

    ``groups`` names additive groups by key: ``[(total_key, [member_keys]), ...]`` (or a mapping total ->
    members); each group is applied within every slice of ``slice_columns`` (e.g. figure and period).
    Keys missing in a slice are skipped. Output: the same rows with ``suppressed`` (bool) and ``display``
    (``"<5"``, ``"x"`` or the formatted value); ``numerator``, ``denominator`` and ``value_columns`` are
    set to missing in suppressed rows. ``decimals`` is an int or the name of a column holding decimals
    per row.

    Example
    -------
    >>> t = pd.DataFrame({"id": ["DK", "A", "B"], "numerator": [12, 2, 10]})
    >>> out = suppress(t, groups={"DK": ["A", "B"]}, key="id", denominator=None, value_columns=[])
    >>> out["display"].tolist()
    ['12', '<5', 'x']
    """
    if numerator not in frame.columns:
        raise KlyngedataError(f"disclosure: column {numerator!r} missing (columns: {list(frame.columns)})")
    keys = [key] if isinstance(key, str) else list(key)
    out = frame.copy().reset_index(drop=True)
    if isinstance(groups, Mapping):
        groups = list(groups.items())

    def norm(k: Hashable) -> tuple:
        return tuple(k) if isinstance(k, tuple) else (k,)

    primary = np.zeros(len(out), dtype=bool)
    secondary = np.zeros(len(out), dtype=bool)
    slices = out.groupby(list(slice_columns), dropna=False, sort=False).indices if slice_columns else {
        None: np.arange(len(out))
    }
    for _, idx in slices.items():
        part = out.iloc[idx]
        pos: dict[tuple, int] = {}
        for j, k in enumerate(part[keys].itertuples(index=False, name=None)):
            if k in pos:
                raise KlyngedataError(f"disclosure: duplicate key {k} in one slice")
            pos[k] = j
        local_groups = []
        for total, members in groups:
            t = pos.get(norm(total))
            if t is None:
                continue
            ms = [pos[norm(m)] for m in members if norm(m) in pos]
            if ms:
                local_groups.append((t, ms))
        p, s = protect(
            part[numerator].tolist(),
            local_groups,
            part[denominator].tolist() if denominator and denominator in part.columns else None,
            threshold,
        )
        primary[idx] = p
        secondary[idx] = s
    hidden = primary | secondary
    value_cols = [c for c in value_columns if c in out.columns]
    shown_col = value_cols[0] if value_cols else numerator
    if isinstance(decimals, str):
        dec = out[decimals].fillna(0).astype(int).tolist()
    else:
        dec = [int(decimals)] * len(out)
    display = [format_number_da(v, d) for v, d in zip(out[shown_col].tolist(), dec, strict=True)]
    for i in np.flatnonzero(primary):
        display[i] = PRIMARY_MARK.format(threshold=threshold)
    for i in np.flatnonzero(secondary):
        display[i] = SECONDARY_MARK
    for c in [numerator, *([denominator] if denominator and denominator in out.columns else []), *value_cols]:
        col = out[c]
        if not (pd.api.types.is_float_dtype(col) or isinstance(col.dtype, pd.Float64Dtype)):
            col = pd.to_numeric(col, errors="coerce").astype("Float64")
        out[c] = col.mask(pd.Series(hidden, index=out.index))
    out["suppressed"] = hidden
    out["display"] = pd.Series(display, index=out.index, dtype="string")
    return out


def suppress_key_figures(
    frame: pd.DataFrame,
    hierarchy: pd.DataFrame,
    *,
    threshold: int = DEFAULT_THRESHOLD,
    slice_columns: Sequence[str] = ("figure_id", "period", "sex", "age_group"),
    decimals: int | str = 0,
) -> pd.DataFrame:
    """Suppress a long key-figure table (all levels) and refill ``region_value``/``country_value``.

    ``frame`` holds one row per entity (``entity_level``, ``entity_id``) and slice with ``numerator``,
    ``denominator`` and ``value``; ``hierarchy`` has ``parent_level, parent_id, child_level, child_id`` and
    defines the additive groups (municipality -> cluster -> region -> country). After suppression the
    comparison columns are taken from the suppressed region/country rows (so a hidden region value is never
    shown as a comparison value either).

    Example
    -------
    >>> f = pd.DataFrame({"entity_level": ["country", "region", "region"],
    ...                   "entity_id": ["DK", "1081", "1082"], "figure_id": "x", "period": "2024",
    ...                   "numerator": [9, 3, 6], "denominator": 100,
    ...                   "value": [9.0, 3.0, 6.0], "region_code": [None, "1081", "1082"]})
    >>> h = pd.DataFrame({"parent_level": "country", "parent_id": "DK", "child_level": "region",
    ...                   "child_id": ["1081", "1082"]})
    >>> suppress_key_figures(f, h, slice_columns=("figure_id", "period"))["display"].tolist()
    ['9', '<5', 'x']
    """
    groups: dict[tuple, list[tuple]] = {}
    for row in hierarchy.itertuples(index=False):
        groups.setdefault((row.parent_level, row.parent_id), []).append((row.child_level, row.child_id))
    slices = [c for c in slice_columns if c in frame.columns]
    out = suppress(
        frame,
        groups=list(groups.items()),
        key=("entity_level", "entity_id"),
        slice_columns=slices,
        threshold=threshold,
        decimals=decimals,
    )
    def slice_key(row: pd.Series) -> tuple:
        return tuple(row[c] for c in slices)

    region_rows = out[out["entity_level"] == "region"]
    country_rows = out[out["entity_level"] == "country"]
    if "region_code" in out.columns and len(region_rows):
        rv = {(r["entity_id"], *slice_key(r)): r["value"] for _, r in region_rows.iterrows()}
        out["region_value"] = pd.array(
            [rv.get((r["region_code"], *slice_key(r)), pd.NA) for _, r in out.iterrows()], dtype="Float64"
        )
    if len(country_rows):
        cv = {slice_key(r): r["value"] for _, r in country_rows.iterrows()}
        out["country_value"] = pd.array([cv.get(slice_key(r), pd.NA) for _, r in out.iterrows()],
                                        dtype="Float64")
    return out
