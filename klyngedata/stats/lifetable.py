"""Abridged period life tables (Chiang II) and life expectancy with Chiang's 95 % interval.

Pure functions on tidy frames: no I/O, no look-ups. The caller (the frames layer) pools deaths and
person-years to a unit, a sex and a window and passes one frame per table.

Input schema (one table; one row per age band, in any order)
    ``age_start``     int    first age of the band: 0, 1, 5, 10, ... (the bands start at 0)
    ``age_end``       int    last age of the band, inclusive; NA for the open top band (optional column:
                             without it each band ends where the next starts and the last band is open)
    ``deaths``        float  deaths in the band during the window
    ``person_years``  float  person-years lived in the band during the window (for a window of several
                             years, the sum over its years of the band's mean population)

The bands are contiguous, start at 0 and end in one open band (85+, 90+, 95+, 100+ ...); any widths are
accepted (0, 1-4, 5-9, ... is the usual abridged table). Structural faults (no band 0, gaps, overlaps, an
open band that is not the last, negative counts) raise :class:`~klyngedata.exceptions.DataFormatError`.

Method (Chiang II, as used by the Office for National Statistics for local life expectancy – Toson & Baker
2003 – and by Public Health England's life expectancy calculator; Chiang 1984, Silcocks et al. 2001)
    ``n``   width of the band in years (none for the open band)
    ``mx``  ``D / P`` (deaths / person-years)
    ``ax``  years lived in the band by those who die in it: **a0 = 0.1** for the band 0 (the ONS/PHE
            convention for the first year of life, where deaths cluster in the first weeks; a parameter),
            ``n / 2`` for every other band; the open band: ``1 / mx``
    ``qx``  ``n mx / (1 + (n - ax) mx)``; 1 in the open band
    ``lx``  survivors at age x of a radix of 100,000 births: ``l(x+n) = lx (1 - qx)``
    ``dx``  ``lx - l(x+n)``; ``lx`` in the open band
    ``Lx``  years lived in the band: ``n l(x+n) + ax dx``; **open band ``lx / mx``**
    ``Tx``  ``sum of Lx from x up``;  ``ex = Tx / lx``

Variance (Chiang) with the open band's term of Silcocks, Jenner & Reza (2001)
    ``var(qx) = qx^2 (1 - qx) / D = n^2 mx (1 - ax mx) / (P (1 + (n - ax) mx)^3)`` (0 when D = 0)
    ``var(ex) = [ sum over closed bands i >= x of li^2 ((n - ai) + e(i+n))^2 var(qi)
                  + lw^2 / (Dw mw^2) ] / lx^2``
    The last term is the open band's: its expectation is ``1 / mw`` with ``var(mw) = Dw / Pw^2``.
    95 % interval: ``ex +/- 1.96 sqrt(var(ex))`` (and the 99.8 % interval of published rows: ``+/- 3.09 se``).

Stability rule (:func:`life_expectancy`: no value, and a Danish reason in ``note_da``, never a wild number)
    * a count is missing for a band at or above the age;
    * fewer than 5,000 person-years at or above the age in the window (``min_person_years``; the minimum
      for a robust estimate in Toson & Baker 2003 and Eayres & Williams 2004, used by PHE);
    * a band without person-years, an open band without deaths (its years lived ``lx / mx`` are then
      unknown), or a band whose deaths are impossibly many for its person-years (``ax mx > 1``);
    * fewer deaths at or above the age than ``min_deaths`` (default 0: the interval rule below is the
      deaths rule in effect, as the variance grows as the deaths shrink);
    * a 95 % interval wider than 20 years (``max_ci_width``; PHE's rule).
    Zero deaths in a closed band are fine (``qx = 0``, variance term 0).

``deaths`` and ``person_years`` of a result are the counts the estimate uses: those at or above the age.

References: Chiang CL. The life table and its applications. Malabar (FL): Krieger, 1984. Silcocks PBS,
Jenner DA, Reza R. Life expectancy as a summary of mortality in a population: statistical considerations
and suitability for use by health authorities. J Epidemiol Community Health 2001;55:38-43. Toson B, Baker A.
Life expectancy at birth: methodological options for small populations. National Statistics Methodology
Series 33, 2003. Eayres D, Williams ES. Evaluation of methodologies for small area life expectancy
estimation. J Epidemiol Community Health 2004;58:243-249.

Example (CONSTRUCTED: three bands 0, 1-79, 80+)
-----------------------------------------------
>>> import pandas as pd
>>> bands = pd.DataFrame({"age_start": [0, 1, 80], "deaths": [2, 100, 500],
...                       "person_years": [1000, 79000, 5000]})
>>> r = life_expectancy(bands)
>>> round(r.value, 2), round(r.ci95_low, 2), round(r.ci95_high, 2), r.deaths, r.note_da
(85.12, 83.91, 86.32, 602.0, '')
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from klyngedata.exceptions import DataFormatError

__all__ = [
    "A0",
    "LIFE_TABLE_COLUMNS",
    "METHOD",
    "METHOD_DA",
    "RADIX",
    "RESULT_COLUMNS",
    "LifeExpectancy",
    "band_label_da",
    "close_open_top",
    "life_expectancies",
    "life_expectancy",
    "life_table",
]

A0 = 0.1
"""Years lived in the band 0 by the infants who die in it (ONS / PHE convention for Chiang II)."""
RADIX = 100_000.0
MIN_PERSON_YEARS = 5000.0
MAX_CI_WIDTH = 20.0
METHOD = "chiang_ii"
METHOD_DA = (
    "Forkortet periodedødelighedstavle (Chiang II) ud fra dødsfald og personår i aldersgrupper; "
    "95 %-konfidensinterval efter Chiang, for den ældste, åbne aldersgruppe efter Silcocks m.fl. (2001)."
)
LIFE_TABLE_COLUMNS = ("age_start", "age_end", "n", "deaths", "person_years", "mx", "ax", "qx", "lx", "dx",
                      "Lx", "Tx", "ex", "var_qx", "var_ex", "ci95_low", "ci95_high")
"""Columns of :func:`life_table`, one row per band (``n`` and ``age_end`` NA in the open band)."""
RESULT_COLUMNS = ("age", "value", "ci95_low", "ci95_high", "ci998_low", "ci998_high", "se", "deaths", "person_years",
                  "method", "note_da")
"""Fields of :class:`LifeExpectancy` (the columns :func:`life_expectancies` adds to its ``by`` columns)."""

_Z95 = 1.959963984540054  # the 97.5 % quantile of the standard normal distribution
_Z998 = 3.090232306167813  # the 99.9 % quantile (the 99.8 % interval of published rows)


@dataclass(frozen=True)
class LifeExpectancy:
    """Life expectancy at ``age`` from one table; ``value`` and intervals NaN with ``note_da`` when unstable."""

    age: int
    value: float
    ci95_low: float
    ci95_high: float
    ci998_low: float
    ci998_high: float
    se: float
    deaths: float
    person_years: float
    method: str = METHOD
    note_da: str = ""

    def as_dict(self) -> dict:
        """The fields as a dict (one row of :func:`life_expectancies`)."""
        return asdict(self)


def band_label_da(age_start: int, age_end: float | None) -> str:
    """Danish label of an age band.

    >>> band_label_da(0, 0), band_label_da(1, 4), band_label_da(95, None)
    ('0 år', '1-4 år', '95 år og derover')
    """
    if age_end is None or pd.isna(age_end):
        return f"{int(age_start)} år og derover"
    if int(age_end) == int(age_start):
        return f"{int(age_start)} år"
    return f"{int(age_start)}-{int(age_end)} år"


def _thousands_da(x: float) -> str:
    return f"{x:,.0f}".replace(",", ".")


def _bands(bands: pd.DataFrame) -> pd.DataFrame:
    """Validated bands sorted by age with ``age_end`` (NA in the open band) and ``n`` (NaN there)."""
    missing = [c for c in ("age_start", "deaths", "person_years") if c not in bands.columns]
    if missing:
        raise DataFormatError(f"life table: column(s) {missing} missing; columns are {list(bands.columns)}")
    b = bands.sort_values("age_start").reset_index(drop=True)
    starts = pd.to_numeric(b["age_start"], errors="raise")
    if starts.isna().any() or (starts != starts.round()).any():
        raise DataFormatError(f"life table: age_start must be whole ages, got {list(b['age_start'])}")
    starts = starts.astype(int).to_numpy()
    if len(starts) < 2 or starts[0] != 0:
        raise DataFormatError(f"life table: the bands must start at age 0 and have an open top band; "
                              f"band starts are {list(starts)}")
    if len(set(starts)) != len(starts):
        raise DataFormatError(f"life table: an age band occurs twice; band starts are {list(starts)}")
    ends: list[int | None] = [int(s) - 1 for s in starts[1:]] + [None]
    if "age_end" in b.columns:
        given = [None if pd.isna(e) else int(e) for e in b["age_end"]]
        if given != ends:
            raise DataFormatError(
                "life table: the bands must be contiguous with one open top band (age_end NA in the last band "
                f"only); bands are {[band_label_da(s, e) for s, e in zip(starts, given, strict=True)]}")
    out = pd.DataFrame({"age_start": starts, "age_end": pd.array(ends, dtype="Int64")})
    for col in ("deaths", "person_years"):
        values = pd.to_numeric(b[col], errors="coerce").astype(float).to_numpy()
        if (values < 0).any():
            bad = [band_label_da(s, e) for s, e, v in zip(starts, ends, values, strict=True) if v < 0]
            raise DataFormatError(f"life table: negative {col} in band(s) {bad}")
        out[col] = values
    out["n"] = np.append(np.diff(starts).astype(float), np.nan)
    return out


def _ax(starts: np.ndarray, n: np.ndarray, a0: float) -> np.ndarray:
    ax = n / 2.0
    ax[starts == 0] = a0
    return ax


_MISSING_DA = ("Middellevetiden kan ikke beregnes, fordi antallet af døde eller af indbyggere mangler for en "
               "eller flere aldersgrupper.")


def _problem_da(b: pd.DataFrame, a0: float) -> str | None:
    """Danish reason why the table of these (validated) bands cannot be computed, None if it can."""
    labels = [band_label_da(s, e) for s, e in zip(b["age_start"], b["age_end"], strict=True)]
    d, p = b["deaths"].to_numpy(), b["person_years"].to_numpy()
    if np.isnan(d).any() or np.isnan(p).any():
        return _MISSING_DA
    empty = [lab for lab, pi in zip(labels, p, strict=True) if pi <= 0]
    if empty:
        return (f"Middellevetiden kan ikke beregnes, fordi der ikke var indbyggere i aldersgruppen "
                f"{empty[0]} i perioden.")
    if d[-1] <= 0:
        return (f"Middellevetiden kan ikke beregnes, fordi ingen i aldersgruppen {labels[-1]} døde i "
                f"perioden; så kendes de ældstes levetid ikke.")
    n = b["n"].to_numpy()[:-1]
    ax = _ax(b["age_start"].to_numpy()[:-1], n.copy(), a0)
    too_many = [lab for lab, a, m in zip(labels, ax, d[:-1] / p[:-1], strict=False) if a * m > 1]
    if too_many:
        return (f"Middellevetiden kan ikke beregnes, fordi antallet af døde i aldersgruppen {too_many[0]} er "
                f"større, end antallet af indbyggere tillader.")
    return None


def _columns(starts: np.ndarray, n: np.ndarray, d: np.ndarray, p: np.ndarray, a0: float,
             radix: float) -> dict[str, np.ndarray]:
    """The life table columns of computable bands, one table per row of ``d`` and ``p`` (groups x bands; the
    bands ``starts``/``n`` shared, the last one open)."""
    mx = d / p
    ax = np.broadcast_to(_ax(starts, n.copy(), a0), d.shape).copy()
    ax[:, -1] = 1.0 / mx[:, -1]
    qx = n * mx / (1.0 + (n - ax) * mx)
    qx[:, -1] = 1.0
    lx = radix * np.concatenate((np.ones((len(d), 1)), np.cumprod(1.0 - qx[:, :-1], axis=1)), axis=1)
    dx = lx * qx
    lx_next = np.concatenate((lx[:, 1:], np.zeros((len(d), 1))), axis=1)
    Lx = n * lx_next + ax * dx
    Lx[:, -1] = lx[:, -1] / mx[:, -1]
    Tx = np.cumsum(Lx[:, ::-1], axis=1)[:, ::-1]
    ex = Tx / lx
    with np.errstate(divide="ignore", invalid="ignore"):
        var_qx = np.where(d > 0, n * n * mx * (1.0 - ax * mx) / (p * (1.0 + (n - ax) * mx) ** 3), 0.0)
    e_next = np.concatenate((ex[:, 1:], np.zeros((len(d), 1))), axis=1)
    terms = lx**2 * ((n - ax) + e_next) ** 2 * var_qx
    terms[:, -1] = lx[:, -1] ** 2 / (d[:, -1] * mx[:, -1] ** 2)
    var_ex = np.cumsum(terms[:, ::-1], axis=1)[:, ::-1] / lx**2
    half = _Z95 * np.sqrt(var_ex)
    return {"mx": mx, "ax": ax, "qx": qx, "lx": lx, "dx": dx, "Lx": Lx, "Tx": Tx, "ex": ex, "var_qx": var_qx,
            "var_ex": var_ex, "ci95_low": ex - half, "ci95_high": ex + half}


def _table(b: pd.DataFrame, a0: float, radix: float) -> pd.DataFrame:
    """The life table columns of validated, computable bands (the first band need not start at 0)."""
    cols = _columns(b["age_start"].to_numpy(), b["n"].to_numpy(), b["deaths"].to_numpy()[None, :],
                    b["person_years"].to_numpy()[None, :], a0, radix)
    out = b[["age_start", "age_end", "n", "deaths", "person_years"]].copy()
    for name, col in cols.items():
        out[name] = col[0]
    return out


def life_table(bands: pd.DataFrame, *, a0: float = A0, radix: float = RADIX) -> pd.DataFrame:
    """The abridged life table (Chiang II) of one set of bands, with Chiang's variance of ``ex``.

    Columns :data:`LIFE_TABLE_COLUMNS`; the method is in the module docstring. Raises
    :class:`~klyngedata.exceptions.DataFormatError` for malformed bands and when the table cannot be
    computed (a missing count, a band without person-years, an open band without deaths; the message names
    the band). :func:`life_expectancy` turns the latter into a value-less result with a Danish reason.

    Example (CONSTRUCTED)
    ---------------------
    >>> t = life_table(pd.DataFrame({"age_start": [0, 1, 80], "deaths": [2, 100, 500],
    ...                              "person_years": [1000, 79000, 5000]}))
    >>> [round(x, 4) for x in t["qx"]], [round(x, 2) for x in t["ex"]]
    ([0.002, 0.0952, 1.0], [85.12, 84.29, 10.0])
    """
    b = _bands(bands)
    problem = _problem_da(b, a0)
    if problem:
        raise DataFormatError(f"life table cannot be computed: {problem}")
    return _table(b, a0, radix)


def _no_value(age: int, deaths: float, person_years: float, note_da: str) -> LifeExpectancy:
    nan = float("nan")
    return LifeExpectancy(age, nan, nan, nan, nan, nan, nan, deaths, person_years, METHOD, note_da)


def life_expectancy(bands: pd.DataFrame, age: int = 0, *, a0: float = A0,
                    min_person_years: float = MIN_PERSON_YEARS, min_deaths: float = 0,
                    max_ci_width: float = MAX_CI_WIDTH) -> LifeExpectancy:
    """Life expectancy at ``age`` (a band start) with its 95 % interval, or no value and a Danish reason.

    Applies the stability rule of the module docstring to the bands at or above ``age``; ``deaths`` and
    ``person_years`` of the result are the counts of those bands (NaN if any is missing).

    Example (CONSTRUCTED: too few person-years)
    -------------------------------------------
    >>> small = pd.DataFrame({"age_start": [0, 1, 80], "deaths": [0, 10, 30], "person_years": [40, 3000, 200]})
    >>> r = life_expectancy(small)
    >>> r.value, r.person_years, r.note_da[:60]
    (nan, 3240.0, 'Middellevetiden beregnes ikke, fordi befolkningen er for lil')
    """
    b = _bands(bands)
    if int(age) not in set(b["age_start"]):
        raise ValueError(f"life_expectancy: age {age} is not the start of a band; band starts are "
                         f"{list(b['age_start'])}")
    part = b[b["age_start"] >= int(age)].reset_index(drop=True)
    deaths, person_years = float(part["deaths"].sum(skipna=False)), float(part["person_years"].sum(skipna=False))
    problem = _problem_da(part, a0)
    if problem == _MISSING_DA:
        return _no_value(age, deaths, person_years, problem)
    if person_years < min_person_years:
        return _no_value(age, deaths, person_years, (
            f"Middellevetiden beregnes ikke, fordi befolkningen er for lille til et sikkert skøn: under "
            f"{_thousands_da(min_person_years)} personår{_from_age_da(age)} i perioden."))
    if problem:
        return _no_value(age, deaths, person_years, problem)
    if deaths < min_deaths:
        return _no_value(age, deaths, person_years, (
            f"Middellevetiden beregnes ikke, fordi der var for få dødsfald til et sikkert skøn: under "
            f"{_thousands_da(min_deaths)} dødsfald{_from_age_da(age)} i perioden."))
    row = _table(part, a0, RADIX).iloc[0]
    low, high = float(row["ci95_low"]), float(row["ci95_high"])
    if not high - low <= max_ci_width:
        return _no_value(age, deaths, person_years, (
            f"Middellevetiden vises ikke, fordi skønnet er for usikkert: 95 %-konfidensintervallet er bredere "
            f"end {max_ci_width:g} år."))
    value, se = float(row["ex"]), math.sqrt(float(row["var_ex"]))
    return LifeExpectancy(int(age), value, low, high, value - _Z998 * se, value + _Z998 * se, se, deaths,
                          person_years, METHOD, "")


def _from_age_da(age: int) -> str:
    return "" if int(age) == 0 else f" blandt de {int(age)}-årige og ældre"


def life_expectancies(data: pd.DataFrame, *, by: Sequence[str] = (), ages: Iterable[int] = (0, 65),
                      a0: float = A0, min_person_years: float = MIN_PERSON_YEARS, min_deaths: float = 0,
                      max_ci_width: float = MAX_CI_WIDTH) -> pd.DataFrame:
    """Life expectancy at each of ``ages`` for every ``by`` group: one row per group and age.

    ``data`` is the input schema of the module docstring plus the ``by`` columns (e.g. ``unit_id``,
    ``sex``, ``window``), each group one complete set of bands. Several rows of a band in a group (e.g. the
    member municipalities of a unit) are summed first – a unit's life table is that of its pooled deaths and
    person-years, never an average of its members' values; a sum with a missing count is missing. Columns:
    the ``by`` columns, then :data:`RESULT_COLUMNS`.

    Example (CONSTRUCTED: two areas, the second too small)
    -------------------------------------------------------
    >>> two = pd.DataFrame({"area": ["A"] * 3 + ["B"] * 3, "age_start": [0, 1, 80] * 2,
    ...                     "deaths": [2, 100, 500, 0, 10, 30], "person_years": [1000, 79000, 5000, 40, 3000, 200]})
    >>> r = life_expectancies(two, by=["area"], ages=[0])
    >>> [round(v, 2) for v in r["value"]], list(r["note_da"] != "")
    ([85.12, nan], [False, True])
    """
    by = list(by)
    ages = [int(a) for a in ages]
    rules = dict(a0=a0, min_person_years=min_person_years, min_deaths=min_deaths, max_ci_width=max_ci_width)
    band_keys = ["age_start", "age_end"] if "age_end" in data.columns else ["age_start"]
    pooled = _pooled(data, [*by, *band_keys]) if by else _pooled(data, band_keys)
    fast = _fast(pooled, by, ages, rules)
    if fast is not None:
        return fast
    rows = []
    groups = pooled.groupby(by, sort=True, dropna=False) if by else [((), pooled)]
    for key, part in groups:
        keys = dict(zip(by, key if isinstance(key, tuple) else (key,), strict=True))
        for age in ages:
            result = life_expectancy(part.drop(columns=by), age, **rules)
            rows.append({**keys, **result.as_dict()})
    return pd.DataFrame(rows, columns=[*by, *RESULT_COLUMNS])


def _fast(pooled: pd.DataFrame, by: list[str], ages: list[int], rules: dict) -> pd.DataFrame | None:
    """:func:`life_expectancies` on arrays (groups x bands) when every group has the same bands: the tables are
    computed together; a group that breaks a rule gets its result (and its Danish reason) from
    :func:`life_expectancy`. None when the groups' bands differ (the caller then goes group by group)."""
    if not by:
        return None
    order = pooled.sort_values([*by, "age_start"], kind="stable")
    key_frame = order[by].drop_duplicates()
    n_groups = len(key_frame)
    if not n_groups or len(order) % n_groups:
        return None
    starts = order["age_start"].to_numpy().reshape(n_groups, -1)
    if not (starts == starts[0]).all():
        return None
    first = order.iloc[: starts.shape[1]].drop(columns=by)
    b = _bands(first)  # the shared bands, validated once (raises for malformed bands)
    d = order["deaths"].to_numpy(dtype=float).reshape(n_groups, -1)
    p = order["person_years"].to_numpy(dtype=float).reshape(n_groups, -1)
    n, band_starts = b["n"].to_numpy(), b["age_start"].to_numpy()
    keys = key_frame.to_dict("records")
    rows: list[dict] = []
    for age in ages:
        if age not in set(band_starts):
            raise ValueError(f"life_expectancy: age {age} is not the start of a band; band starts are "
                             f"{list(band_starts)}")
        j = int(np.flatnonzero(band_starts == age)[0])
        dd, pp, nn, ss = d[:, j:], p[:, j:], n[j:], band_starts[j:]
        deaths, person_years = dd.sum(axis=1), pp.sum(axis=1)
        ax = _ax(ss[:-1], nn[:-1].copy(), rules["a0"])
        with np.errstate(divide="ignore", invalid="ignore"):
            slow = (np.isnan(dd).any(axis=1) | np.isnan(pp).any(axis=1) | (pp <= 0).any(axis=1) | (dd[:, -1] <= 0)
                    | (ax * dd[:, :-1] / pp[:, :-1] > 1).any(axis=1) | (person_years < rules["min_person_years"])
                    | (deaths < rules["min_deaths"]))
        ok = np.flatnonzero(~slow)
        cols = _columns(ss, nn, dd[ok], pp[ok], rules["a0"], RADIX) if len(ok) else None
        result: dict[int, dict] = {}
        for k, i in enumerate(ok):
            ex, var = float(cols["ex"][k, 0]), float(cols["var_ex"][k, 0])
            low, high = float(cols["ci95_low"][k, 0]), float(cols["ci95_high"][k, 0])
            if not high - low <= rules["max_ci_width"]:
                continue
            se = math.sqrt(var)
            result[i] = LifeExpectancy(int(age), ex, low, high, ex - _Z998 * se, ex + _Z998 * se, se,
                                       float(deaths[i]), float(person_years[i]), METHOD, "").as_dict()
        for i in range(n_groups):
            if i not in result:
                bands = pd.DataFrame({"age_start": band_starts, "deaths": d[i], "person_years": p[i]})
                result[i] = life_expectancy(bands, age, **rules).as_dict()
            rows.append({**keys[i], **result[i], "_age_order": age})
    out = pd.DataFrame(rows)
    out = out.sort_values([*by, "_age_order"], kind="stable").drop(columns="_age_order")
    return out[[*by, *RESULT_COLUMNS]].reset_index(drop=True)


def _pooled(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Deaths and person-years summed per ``keys`` (a sum is NaN when any of its counts is missing)."""
    grouped = frame.groupby(keys, sort=True, dropna=False)[["deaths", "person_years"]]
    complete = grouped.count().eq(grouped.size(), axis=0)
    out = grouped.sum(min_count=1).astype(float).where(complete).reset_index()
    out["age_start"] = out["age_start"].astype(int)
    return out


def close_open_top(bands: pd.DataFrame, top: int, *, by: Sequence[str] = ()) -> pd.DataFrame:
    """The bands with every band from ``top`` up merged into one open band ``top``+ (sums; NA stays NA).

    Use it to give every table the same open band (e.g. 90+ when some units have no one aged 100+).
    ``top`` must be a band start. Other columns than ``by``, the age and the counts are dropped.

    >>> b = pd.DataFrame({"age_start": [0, 1, 90, 95], "deaths": [1, 2, 3, 4], "person_years": [10, 20, 30, 40]})
    >>> close_open_top(b, 90).to_dict("list")
    {'age_start': [0, 1, 90], 'deaths': [1.0, 2.0, 7.0], 'person_years': [10.0, 20.0, 70.0]}
    """
    by = list(by)
    starts = pd.to_numeric(bands["age_start"]).astype(int)
    if int(top) not in set(starts):
        raise ValueError(f"close_open_top: {top} is not a band start; band starts are {sorted(set(starts))}")
    out = _pooled(bands.assign(age_start=starts.where(starts < int(top), int(top))), [*by, "age_start"])
    if "age_end" in bands.columns:
        below = bands.loc[starts < int(top), [*by, "age_start", "age_end"]]
        out = out.merge(below.assign(age_start=below["age_start"].astype(int)), on=[*by, "age_start"], how="left")
        out["age_end"] = out["age_end"].astype("Int64")
    return out
