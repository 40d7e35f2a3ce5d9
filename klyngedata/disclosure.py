"""Small-count disclosure control of everything klyngedata publishes.

Policy (enforced in code; the public functions call it themselves, there is no switch that returns
unsuppressed counts, and a threshold below 5 is refused)

* **Primary suppression.** A count of 1 … ``threshold - 1`` persons (threshold 5: counts of 1–4) is never
  shown, nor anything computed from it: a row whose numerator or denominator is such a count is hidden as a
  whole. Zero is shown.
* **Complements of bounded shares.** For a *bounded* figure – the numerator is a subset of the denominator
  (readmissions among admissions, citizens with a chronic disease among citizens) – the persons *not* in the
  numerator are a count of persons too: a share of 48 of 50 readmitted says that 2 were not. The complement
  ``denominator - numerator`` is protected exactly like the numerator: a row whose complement is 1–4 is
  hidden, and no hidden complement may be derivable (also not as an interval within 1–4) – also the
  complement of a stratum that is no row of its own (the women when only the total and the men are
  published). A share of 100 % (complement 0) is shown, as a count of 0 is.
* **Secondary suppression over the whole published output.** Everything a function publishes from one set
  of data is checked as one table: all levels (municipality, cluster in every division, region, Denmark),
  all strata (sex, age groups, their cross-classification and margins), all periods (a year and its
  quarters/months), with clusters, regions and Denmark as the sums of exactly the municipalities they were
  computed from (a member without data is not in the sum) and split municipalities with their shares. The
  model (:mod:`klyngedata.stats.disclosure_model`) writes every published count as a sum of latent cells;
  the engine (:mod:`klyngedata.stats.disclosure_lp`, :mod:`klyngedata.stats.disclosure_search`) hides
  further rows until, for every hidden count of 1–4 (and every unpublished stratum or rest of a total that
  is 1–4), the largest value consistent with everything shown is at least 5 – checked by linear
  programming, so no count can be pinned to a value or to an interval within 1–4 by any combination of
  published figures.
* **Marking.** Hidden rows keep their place, get ``suppressed = True`` and ``display`` ``"<5"`` (primary)
  or ``"x"`` (hidden so that a small count cannot be worked out); *every* numeric column of a hidden row
  is set to missing (whatever columns the table has – intervals, ratios and future columns included),
  except the comparison columns that belong to other rows (:data:`COMPARISON_COLUMNS`, taken from the
  region/Denmark rows as they are published).
* **Thresholds.** A higher threshold extends the pattern of threshold 5 (the patterns are nested, so
  publishing both reveals nothing more than the stricter one).

Limits: figures of different indicators are controlled separately (a denominator published under one
indicator is not assumed to be the denominator of another); the linear-programming relaxation ignores that
counts are whole numbers (the usual choice for audits of tabular data).

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

import logging
import math
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from klyngedata.exceptions import KlyngedataError
from klyngedata.lazy import module
from klyngedata.stats.disclosure_lp import LinearTable
from klyngedata.stats.disclosure_model import indicator_model
from klyngedata.stats.disclosure_search import suppress_linear

log = logging.getLogger(__name__)

sp = module("scipy.sparse")  # imported when a table is first checked

__all__ = [
    "COMPARISON_COLUMNS",
    "DEFAULT_THRESHOLD",
    "NOTE_DA",
    "PRIMARY_MARK",
    "SECONDARY_MARK",
    "format_number_da",
    "mask_suppressed",
    "protect",
    "refill_comparisons",
    "suppress",
    "suppress_key_figures",
    "suppress_published",
]

DEFAULT_THRESHOLD = 5
SECONDARY_MARK = "x"
PRIMARY_MARK = "<{threshold}"
NOTE_DA = (
    "<5: færre end 5 personer (tallet vises ikke). x: tallet er skjult, så et tal under 5 ikke kan regnes ud "
    "ud fra de viste tal (heller ikke ved at trække køn, aldersgrupper, perioder eller kommuner fra "
    "hinanden). Andele og rater bygget på skjulte tal vises heller ikke, og en andel vises ikke, når under 5 "
    "personer falder uden for den (fx 48 af 50)."
)
#: numeric columns that belong to other rows (the region/Denmark comparison values): kept in hidden rows
COMPARISON_COLUMNS = ("region_value", "country_value", "decimals")

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


def mask_suppressed(frame: pd.DataFrame, hidden: Sequence[bool] | None = None,
                    keep: Iterable[str] = COMPARISON_COLUMNS) -> pd.DataFrame:
    """Set every numeric column of the hidden rows (default: ``frame["suppressed"]``) to missing.

    Generic on purpose: a column added later (an interval, a ratio) is hidden without being listed here.
    ``keep`` names numeric columns that do not come from the row itself (comparison values).

    Example
    -------
    >>> f = pd.DataFrame({"value": [1.5, 2.0], "ci95_low": [1.0, 1.2], "n": [3, 40], "suppressed": [True, False]})
    >>> mask_suppressed(f)[["value", "ci95_low", "n"]].isna().values.tolist()
    [[True, True, True], [False, False, False]]
    """
    out = frame.copy()
    mask = out["suppressed"] if hidden is None else pd.Series(list(hidden), index=out.index)
    mask = mask.fillna(False).astype(bool)
    if not mask.any():
        return out
    keep = set(keep)
    for c in out.columns:
        col = out[c]
        if c in keep or c == "suppressed" or pd.api.types.is_bool_dtype(col):
            continue
        if not pd.api.types.is_numeric_dtype(col):
            if col.dtype == object and col[mask].map(lambda v: isinstance(v, (int, float, np.number))
                                                     and not isinstance(v, bool)).any():
                out[c] = col.where(~mask, None)
            continue
        if not pd.api.types.is_float_dtype(col):
            col = col.astype("Float64")
        out[c] = col.mask(mask)
    return out


def _marks(primary: np.ndarray, hidden: np.ndarray, shown_values: Sequence[object], decimals: Sequence[int],
           threshold: int) -> list[str]:
    display = [format_number_da(v, d) for v, d in zip(shown_values, decimals, strict=True)]
    for i in np.flatnonzero(hidden):
        display[i] = PRIMARY_MARK.format(threshold=threshold) if primary[i] else SECONDARY_MARK
    return display


def _nested(table: LinearTable, threshold: int) -> tuple[np.ndarray, np.ndarray]:
    """Primary and hidden rows; for a threshold above the default the default pattern is extended."""
    first = suppress_linear(table, min(threshold, DEFAULT_THRESHOLD))
    if threshold <= DEFAULT_THRESHOLD:
        return first.primary, first.hidden
    second = suppress_linear(table, threshold, hidden=first.hidden)
    return first.primary | second.primary, second.hidden


def protect(
    numerators: Sequence[object],
    groups: Sequence[tuple[int, Sequence[int]]],
    denominators: Sequence[object] | None = None,
    threshold: int = DEFAULT_THRESHOLD,
) -> tuple[np.ndarray, np.ndarray]:
    """Decide which cells of one additive table to hide. Returns ``(primary, secondary)`` boolean arrays.

    ``numerators``/``denominators`` are the counts per cell (missing = not computable, never published);
    ``groups`` are ``(total_index, [member_indices])`` with ``total = sum(members)`` (nested groups allowed).
    Every relation is checked jointly by linear programming (see the module docstring); secondary cells are
    chosen cheapest first: small counts, members before totals.

    Example (constructed): a total 20 = 3 + 7 + 10; 3 is primary, 7 the cheapest cell that protects it.

    >>> p, s = protect([20, 3, 7, 10], [(0, [1, 2, 3])])
    >>> p.tolist(), s.tolist()
    ([False, True, False, False], [False, False, True, False])
    """
    if threshold < 1:
        raise KlyngedataError(f"disclosure: threshold must be >= 1, got {threshold}")
    num = pd.to_numeric(pd.Series(list(numerators), dtype="object"), errors="coerce").astype(float).to_numpy()
    n = len(num)
    den = (np.full(n, np.nan) if denominators is None else
           pd.to_numeric(pd.Series(list(denominators), dtype="object"), errors="coerce").astype(float).to_numpy())
    if len(den) != n:
        raise KlyngedataError(f"disclosure: got {len(den)} denominators for {n} cells")
    for arr, name in ((num, "numerator"), (den, "denominator")):
        bad = np.isfinite(arr) & (arr < 0)
        if bad.any():
            raise KlyngedataError(f"disclosure: negative {name} in cell {int(np.flatnonzero(bad)[0])}")
    members: dict[int, list[int]] = {}
    for t, ms in groups:
        for i in [t, *ms]:
            if not 0 <= int(i) < n:
                raise KlyngedataError(f"disclosure: group index {i} out of range (0..{n - 1})")
        members.setdefault(int(t), []).extend(int(m) for m in ms)
    leaves = [i for i in range(n) if i not in members]
    var = {c: j for j, c in enumerate(leaves)}
    height: dict[int, int] = {}

    def comp(i: int, seen: tuple[int, ...] = ()) -> dict[int, float]:
        if i in seen:
            raise KlyngedataError(f"disclosure: groups form a cycle through cell {i}")
        if i in var:
            height[i] = 0
            return {var[i]: 1.0}
        out: dict[int, float] = {}
        h = 0
        for m in members[i]:
            for j, w in comp(m, (*seen, i)).items():
                out[j] = out.get(j, 0.0) + w
            h = max(h, height[m] + 1)
        height[i] = h
        return out

    comps = [comp(i) for i in range(n)]
    nl = len(leaves)
    r_, c_, v_, vals, frow = [], [], [], [], []
    for q, arr in enumerate((num, den)):
        for i in range(n):
            if np.isfinite(arr[i]):
                for j, w in comps[i].items():
                    r_.append(len(vals))
                    c_.append(j + q * nl)
                    v_.append(w)
                vals.append(arr[i])
                frow.append(i)
    facts = sp.csr_matrix((v_, (r_, c_)), shape=(len(vals), 2 * nl))
    cost = np.array([(4.0 ** height[i]) * (1.0 + (num[i] if np.isfinite(num[i]) else 0.0)) for i in range(n)])
    table = LinearTable(
        n_vars=2 * nl, n_rows=n, facts=facts, fact_values=np.array(vals, dtype=float),
        fact_row=np.array(frow, dtype=np.int64), sensitive=facts, sensitive_values=np.array(vals, dtype=float),
        sensitive_row=np.array(frow, dtype=np.int64), row_cost=cost, row_candidate=np.isfinite(num),
    )
    first = suppress_linear(table, threshold)
    return first.primary, first.hidden & ~first.primary


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
    """Primary and secondary suppression of a tidy table with the given additive groups (per slice).

    ``groups`` names additive groups by key: ``[(total_key, [member_keys]), ...]`` (or a mapping total ->
    members), applied within every slice of ``slice_columns``; keys missing in a slice are skipped. Output:
    the same rows with ``suppressed`` and ``display`` (``"<5"``, ``"x"`` or the formatted value); every
    numeric column of a hidden row is set to missing (:func:`mask_suppressed`). For klyngedata's own
    published tables use :func:`suppress_published`, which knows every relation between the rows.

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
            part[numerator].tolist(), local_groups,
            part[denominator].tolist() if denominator and denominator in part.columns else None, threshold,
        )
        primary[idx] = p
        secondary[idx] = s
    hidden = primary | secondary
    value_cols = [c for c in value_columns if c in out.columns]
    shown_col = value_cols[0] if value_cols else numerator
    dec = out[decimals].fillna(0).astype(int).tolist() if isinstance(decimals, str) else [int(decimals)] * len(out)
    display = _marks(primary, hidden, out[shown_col].tolist(), dec, threshold)
    out["suppressed"] = hidden
    out = mask_suppressed(out)
    out["display"] = pd.Series(display, index=out.index, dtype="string")
    return out


def refill_comparisons(out: pd.DataFrame, slices: Sequence[str]) -> pd.DataFrame:
    """``region_value``/``country_value`` from the (suppressed) region and Denmark rows of the same slice.

    Example
    -------
    >>> f = pd.DataFrame({"entity_level": ["country", "region", "cluster"], "entity_id": ["DK", "1081", "k"],
    ...                   "region_code": [None, "1081", "1081"], "period": "2024", "value": [2.0, None, 5.0]})
    >>> refill_comparisons(f, ["period"])[["region_value", "country_value"]].iloc[2].tolist()
    [<NA>, 2.0]
    >>> g = pd.DataFrame({"entity_level": ["cluster"], "entity_id": ["k"], "region_code": ["1081"],
    ...                   "period": "2024", "value": [5.0]})  # no region or Denmark rows: missing
    >>> refill_comparisons(g, ["period"])[["region_value", "country_value"]].iloc[0].tolist()
    [<NA>, <NA>]
    """
    slices = [c for c in slices if c in out.columns]

    def plain(cols: Sequence[str], rows: pd.Series | None = None) -> pd.DataFrame:
        # fresh frames: no attrs (pandas compares attrs when merging, which fails for frames in attrs)
        sel = out if rows is None else out[rows]
        return pd.DataFrame({c: sel[c].to_numpy(dtype=object) for c in cols})

    is_region = out["entity_level"] == "region"
    is_country = out["entity_level"] == "country"
    if "region_code" in out.columns and is_region.any():
        reg = plain(["entity_id", *slices, "value"], is_region).rename(
            columns={"entity_id": "region_code", "value": "_rv"}).drop_duplicates(["region_code", *slices])
        m = plain(["region_code", *slices]).merge(reg, on=["region_code", *slices], how="left")
        out["region_value"] = pd.array(pd.to_numeric(m["_rv"], errors="coerce").to_numpy(), dtype="Float64")
    if is_country.any():
        cty = plain([*slices, "value"], is_country).rename(columns={"value": "_cv"}).drop_duplicates(slices)
        m = plain(slices).merge(cty, on=slices, how="left") if slices else plain([]).assign(
            _cv=cty["_cv"].iloc[0])
        out["country_value"] = pd.array(pd.to_numeric(m["_cv"], errors="coerce").to_numpy(), dtype="Float64")
    for col in ("region_value", "country_value"):  # no such rows (e.g. an export without Denmark): missing
        if col not in out.columns:
            out[col] = pd.array([pd.NA] * len(out), dtype="Float64")
    return out


def suppress_key_figures(
    frame: pd.DataFrame,
    hierarchy: pd.DataFrame,
    *,
    threshold: int = DEFAULT_THRESHOLD,
    slice_columns: Sequence[str] = ("figure_id", "period", "sex", "age_group"),
    decimals: int | str = 0,
) -> pd.DataFrame:
    """Suppress a long key-figure table with additive groups from ``hierarchy`` (one slice at a time) and
    refill ``region_value``/``country_value`` from the suppressed region/Denmark rows.

    ``hierarchy`` has ``parent_level, parent_id, child_level, child_id``. Relations between slices (strata,
    periods) are not known here: klyngedata's own tables use :func:`suppress_published`.

    Example
    -------
    >>> f = pd.DataFrame({"entity_level": ["country", "region", "region"],
    ...                   "entity_id": ["DK", "1081", "1082"], "figure_id": "x", "period": "2024",
    ...                   "numerator": [9, 3, 6], "denominator": [300, 100, 200],
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
    out = suppress(frame, groups=list(groups.items()), key=("entity_level", "entity_id"), slice_columns=slices,
                   threshold=threshold, decimals=decimals)
    return refill_comparisons(out, slices)


def _members(m: object) -> tuple | None:
    if not isinstance(m, (tuple, list)) or not m:
        return None
    return tuple(sorted((str(u), round(float(w), 12)) for u, w in m))


_LEVEL_WEIGHT = {"municipality": 1.0, "cluster": 4.0, "region": 16.0, "country": 64.0}


def _period_weight(label: str) -> float:
    text = str(label)
    return 1.0 if "M" in text else (1.4 if "K" in text else 2.0)


def _cost(table: pd.DataFrame) -> np.ndarray:
    """Weights for secondary suppression: municipality < cluster < region < Denmark, strata < totals,
    months < quarters < years, small < large."""
    level = table["entity_level"].map(_LEVEL_WEIGHT).fillna(64.0).to_numpy(dtype=float)
    spec = (2.0 ** ((table["sex"].astype(str) == "total").astype(int)
                    + (table["age_group"].astype(str) == "total").astype(int))).to_numpy(dtype=float)
    per = table["period"].map(_period_weight).to_numpy(dtype=float)
    num = pd.to_numeric(table["numerator"], errors="coerce").fillna(0).to_numpy(dtype=float)
    return level * spec * per * (1.0 + 0.05 * np.log1p(np.maximum(num, 0)))


def suppress_published(
    table: pd.DataFrame,
    *,
    bounded: Mapping[str, bool] | Callable[[str], bool],
    threshold: int = DEFAULT_THRESHOLD,
    decimals: int | str = 0,
    slice_columns: Sequence[str] = ("figure_id", "period", "sex", "age_group"),
    leaves: pd.DataFrame | None = None,
    published_before: Sequence[bool] | np.ndarray | None = None,
) -> pd.DataFrame:
    """Disclosure control of everything a function publishes, checked as one table (see the module docstring).

    ``table``: key-figure rows of every level a function can publish from the same data, with
    ``entity_level`` (``municipality``/``cluster``/``region``/``country``), ``entity_id``, ``figure_id``,
    ``period``, ``sex``, ``age_group``, the counts ``numerator``/``denominator`` (missing = not computable),
    ``value`` and ``members`` (a tuple of ``(municipality_code, weight)`` the row is the weighted sum of;
    municipality rows are the data). ``bounded``: per figure, whether the numerator is a subset of the
    denominator. Returns the rows with ``suppressed``, ``display`` and every numeric column of hidden rows
    missing; ``region_value``/``country_value`` refilled from the suppressed region/Denmark rows.
    ``leaves``: the data the published rows are sums of, when they are not the published municipality rows
    (``figure_id, unit, sex, age_group, period, numerator, denominator``; e.g. counts a source left blank, with
    values consistent with every total it publishes, and the rest of a source's totals outside its
    municipalities as units of their own). Rows without a published count name no ``members``.
    ``published_before``: per row, True when an earlier release showed it (the same figure with the same counts):
    it is public already, so the control hides other rows to protect a small count (a row public already is
    hidden only when nothing else can protect; that is logged, since hiding it now cannot undo the earlier
    release).

    Example (constructed): Læsø's men (3) = total (195) - women (192): the women are hidden too.

    >>> t = pd.DataFrame({"entity_level": "municipality", "entity_id": "0825", "figure_id": "f",
    ...                   "period": "2024", "sex": ["total", "male", "female"], "age_group": "total",
    ...                   "numerator": [195.0, 3, 192], "denominator": [900.0, 400, 500],
    ...                   "value": [21.7, 0.75, 38.4], "members": [(("0825", 1.0),)] * 3})
    >>> suppress_published(t, bounded={"f": True}, decimals=1)["display"].tolist()
    ['21,7', '<5', 'x']
    """
    if threshold < DEFAULT_THRESHOLD:
        raise KlyngedataError(
            f"disclosure: threshold {threshold} is below {DEFAULT_THRESHOLD}; counts of 1-4 are never published")
    out = table.reset_index(drop=True).copy()
    for c in ("entity_level", "entity_id", "figure_id", "period", "sex", "age_group", "numerator",
              "denominator", "members"):
        if c not in out.columns:
            raise KlyngedataError(f"disclosure: published table needs column {c!r}")
    is_bounded = bounded if callable(bounded) else (lambda f: bool(bounded.get(f, False)))
    if leaves is None:
        muni = out[out["entity_level"] == "municipality"].drop_duplicates(
            ["figure_id", "entity_id", "sex", "age_group", "period"])  # the same data, listed once per division
        leaves = pd.DataFrame({"figure_id": muni["figure_id"], "unit": muni["entity_id"], "sex": muni["sex"],
                               "age_group": muni["age_group"], "period": muni["period"],
                               "numerator": muni["numerator"], "denominator": muni["denominator"]})
    leaves = pd.DataFrame({
        "figure_id": leaves["figure_id"].astype(str), "unit": leaves["unit"].astype(str),
        "sex": leaves["sex"].astype(str), "age_group": leaves["age_group"].astype(str),
        "period": leaves["period"].astype(str),
        "numerator": pd.to_numeric(leaves["numerator"], errors="coerce").astype(float),
        "denominator": pd.to_numeric(leaves["denominator"], errors="coerce").astype(float),
    })
    cells = pd.DataFrame({
        "figure_id": out["figure_id"].astype(str), "sex": out["sex"].astype(str),
        "age_group": out["age_group"].astype(str), "period": out["period"].astype(str),
        "members": [_members(m) for m in out["members"]],
        "numerator": pd.to_numeric(out["numerator"], errors="coerce").astype(float),
        "denominator": pd.to_numeric(out["denominator"], errors="coerce").astype(float),
        "cost": _cost(out),
    })
    before = np.zeros(len(out), dtype=bool) if published_before is None else np.asarray(published_before, bool)
    if before.any():  # public already: hiding it protects nothing, so every other row is hidden first
        cells.loc[before, "cost"] = cells["cost"].max() * 1e9 + cells.loc[before, "cost"]
    # one cell per distinct published sum (a cluster equal to a municipality or to a cluster of another
    # division is the same figure and is shown or hidden with it)
    ident = [(f, s_, a, p, m) if m is not None else ("", i) for i, (f, s_, a, p, m) in enumerate(zip(
        cells["figure_id"], cells["sex"], cells["age_group"], cells["period"], cells["members"], strict=True))]
    code, first = pd.factorize(pd.Series(ident, dtype=object))[0], None
    first = pd.Series(np.arange(len(code))).groupby(code).first().to_numpy()
    unique = cells.iloc[first].reset_index(drop=True)
    unique["cost"] = pd.Series(cells["cost"].to_numpy()).groupby(code).max().to_numpy()
    figures = sorted(set(cells["figure_id"]))
    model = indicator_model(leaves, unique, bounded={f: is_bounded(f) for f in figures}, threshold=threshold)
    primary, hidden = _nested(model.table, threshold)
    primary, hidden = primary[code], hidden[code]
    shown_col = "value" if "value" in out.columns else "numerator"
    dec = out[decimals].fillna(0).astype(int).tolist() if isinstance(decimals, str) else [int(decimals)] * len(out)
    display = _marks(primary, hidden, out[shown_col].tolist(), dec, threshold)
    out["suppressed"] = hidden
    if (hidden & before).any():
        log.warning("disclosure: %d figure(s) shown by an earlier release are hidden now (nothing else could "
                    "protect a small count); the earlier release cannot be undone", int((hidden & before).sum()))
    out = mask_suppressed(out)
    out["display"] = pd.Series(display, index=out.index, dtype="string")
    out.attrs["disclosure_note_da"] = NOTE_DA
    slices = [*slice_columns, "_division"] if "_division" in out.columns else list(slice_columns)
    return refill_comparisons(out, slices)
