"""Direct and indirect age (and sex) standardisation with 95% confidence intervals.

Direct standardisation
    The standardised rate is the weighted sum of the stratum-specific rates, with weights = the share of
    the standard population in each stratum: ``DSR = sum_i (s_i / S) * d_i / n_i`` (``d`` events, ``n``
    population at risk, ``s`` standard population). The confidence interval is by default the gamma
    method of Fay & Feuer (1997), which treats the DSR as a weighted sum of Poisson counts
    (``y = sum w_i d_i``, ``v = sum w_i^2 d_i``, ``w_i = s_i / (S n_i)``, ``w_M = max w_i``):
    lower = Gamma quantile ``alpha/2`` with shape ``y^2/v`` and scale ``v/y`` (0 if no events), upper =
    Gamma quantile ``1 - alpha/2`` with shape ``(y + w_M)^2 / (v + w_M^2)`` and scale
    ``(v + w_M^2) / (y + w_M)``. Alternatives: ``method="dobson"`` (Dobson et al. 1991: exact Poisson
    limits of the total count, scaled by ``sqrt(v / O)``) and ``method="normal"`` (``DSR ± z sqrt(v)``).

The interval functions live in :mod:`klyngedata.stats.intervals` (``gamma_interval``,
``poisson_interval``, re-exported here) so that every published figure uses the same implementation.

Indirect standardisation
    Expected events ``E = sum_i r_i n_i`` with reference (e.g. Denmark's) stratum rates ``r_i``; the
    standardised ratio is ``O / E`` with an exact Poisson interval for ``O`` (chi-square limits
    ``chi2(alpha/2, 2 O) / 2`` and ``chi2(1 - alpha/2, 2 O + 2) / 2``) divided by ``E``.

Pure functions: the standard population is an argument. :mod:`klyngedata.standardise` (frames layer) reads
Denmark's population from the cache as the default standard.

Example
-------
>>> import pandas as pd
>>> d = pd.DataFrame({"age_group": ["0-64", "65+"], "numerator": [10, 40], "denominator": [10000, 5000]})
>>> std = pd.DataFrame({"age_group": ["0-64", "65+"], "population": [6000, 4000]})
>>> r = direct_standardise(d, std, strata=["age_group"], per=1000, method="normal")
>>> round(float(r["rate"].iloc[0]), 3), round(float(r["lower"].iloc[0]), 3)
(3.8, 2.741)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from klyngedata.exceptions import DataFormatError, KlyngedataError
from klyngedata.lazy import module
from klyngedata.stats.intervals import gamma_interval, poisson_interval

stats = module("scipy.stats")  # imported when first needed

__all__ = [
    "direct_standardise",
    "indirect_standardise",
    "poisson_interval",
]

_METHODS_DA = {
    "gamma": "Direkte standardisering; 95%-konfidensinterval efter gammametoden (Fay & Feuer 1997).",
    "dobson": "Direkte standardisering; 95%-konfidensinterval efter Dobson m.fl. (1991), eksakte "
    "Poisson-grænser for det samlede antal.",
    "normal": "Direkte standardisering; 95%-konfidensinterval ved normalapproksimation på den vægtede sum "
    "af Poisson-varianser.",
}
INDIRECT_METHOD_DA = (
    "Indirekte standardisering: forventet antal = sum over strata af referencens rate x befolkningen; "
    "ratio = observeret / forventet; 95%-konfidensinterval med eksakte Poisson-grænser for det observerede "
    "antal."
)


def _check_columns(frame: pd.DataFrame, cols: Sequence[str], what: str) -> None:
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise DataFormatError(f"{what}: column(s) {missing} missing; columns are {list(frame.columns)}")


def _stratum_matrix(data: pd.DataFrame, strata_rows: pd.DataFrame, by: list[str], strata: list[str],
                    values: list[str]) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """The ``by`` groups (sorted as ``groupby(by)``) and their sums of ``values`` per stratum of ``strata_rows``
    (groups x strata matrices; NaN where a group lacks the stratum)."""
    present = data.dropna(subset=strata)
    agg = present.groupby([*by, *strata], sort=True, dropna=False, as_index=False)[values].sum()
    if by:
        keys = data[by].drop_duplicates().sort_values(by, na_position="last").reset_index(drop=True)
    else:
        keys = pd.DataFrame(index=[0])
    grid = keys.merge(strata_rows.reset_index(drop=True).reset_index(names="_s"), how="cross")
    full = grid.merge(agg, on=[*by, *strata], how="left")  # keeps the grid's order: groups x strata
    g, s_ = len(keys), len(strata_rows)
    mats = [full[v].to_numpy(dtype=float).reshape(g, s_) for v in values]
    return keys, mats[0], mats[1]


def direct_standardise(
    data: pd.DataFrame,
    standard: pd.DataFrame,
    *,
    strata: Sequence[str] = ("sex", "age_group"),
    by: Sequence[str] = (),
    events: str = "numerator",
    population: str = "denominator",
    standard_column: str = "population",
    per: float = 1000,
    conf: float = 0.95,
    method: str = "gamma",
) -> pd.DataFrame:
    """Directly standardised rates per ``per`` with a confidence interval, one row per ``by`` group.

    ``data`` has the ``strata`` columns, ``events`` and ``population`` (population at risk). ``standard``
    has the ``strata`` columns and ``standard_column`` (:func:`klyngedata.standardise.direct_standardise`
    defaults it to Denmark's population from the cache). Every stratum
    of the standard must be present in each group (a missing stratum would silently change the weights) – a
    missing one raises
    :class:`~klyngedata.exceptions.DataFormatError`. Output columns: ``by`` columns, ``observed``,
    ``population``, ``crude_rate``, ``rate``, ``lower``, ``upper``, ``per``, ``method_da``.

    Example
    -------
    >>> d = pd.DataFrame({"age_group": ["0-64", "65+"], "numerator": [10, 40], "denominator": [10000, 5000]})
    >>> std = pd.DataFrame({"age_group": ["0-64", "65+"], "population": [6000, 4000]})
    >>> round(float(direct_standardise(d, std, strata=["age_group"])["rate"].iloc[0]), 2)
    3.8
    """
    if method not in _METHODS_DA:
        raise KlyngedataError(
            f"direct_standardise: unknown method {method!r}; use one of {list(_METHODS_DA)}"
        )
    strata = list(strata)
    by = list(by)
    _check_columns(data, [*strata, *by, events, population], "direct_standardise data")
    _check_columns(standard, [*strata, standard_column], "direct_standardise standard population")
    std = standard.groupby(strata, as_index=False)[standard_column].sum()
    total_std = float(std[standard_column].sum())
    if total_std <= 0:
        raise DataFormatError("direct_standardise: the standard population sums to zero")
    std["_w_std"] = std[standard_column].astype(float) / total_std
    alpha = 1 - conf
    z = stats.norm.ppf(1 - alpha / 2)
    keys, d, n = _stratum_matrix(data, std[strata], by, strata, [events, population])
    bad = np.isnan(n) | (n <= 0)
    if bad.any():
        g = int(np.flatnonzero(bad.any(axis=1))[0])
        where = keys.iloc[g].to_dict() if by else {}
        raise DataFormatError(
            f"direct_standardise: no population for stratum/strata "
            f"{std.loc[bad[g], strata].to_dict('records')} in group {where}"
        )
    d = np.nan_to_num(d)
    w = std["_w_std"].to_numpy()[None, :] / n
    y, v, o = (w * d).sum(axis=1), (w * w * d).sum(axis=1), d.sum(axis=1)
    if method == "gamma":
        limits = [gamma_interval(float(yi), float(vi), float(wi), conf)
                  for yi, vi, wi in zip(y, v, w.max(axis=1), strict=True)]
        lower, upper = np.array([a for a, _ in limits]), np.array([b for _, b in limits])
    elif method == "dobson":
        o_l, o_u = poisson_interval(o, conf)
        with np.errstate(divide="ignore", invalid="ignore"):
            f = np.sqrt(np.where(o > 0, v / np.where(o > 0, o, 1.0), 0.0))
        lower = np.where(o > 0, y + f * (o_l - o), 0.0)
        upper = np.where(o > 0, y + f * (o_u - o), np.nan)
    else:
        lower, upper = np.maximum(0.0, y - z * np.sqrt(v)), y + z * np.sqrt(v)
    total = n.sum(axis=1)
    rows = keys.assign(observed=o, population=total, crude_rate=o / total * per, rate=y * per,
                       lower=np.asarray(lower, dtype=float) * per, upper=np.asarray(upper, dtype=float) * per,
                       per=per, method_da=_METHODS_DA[method])
    out = rows.reset_index(drop=True)
    out.attrs["standard"] = std.drop(columns="_w_std")
    return out


def indirect_standardise(
    data: pd.DataFrame,
    reference: pd.DataFrame,
    *,
    strata: Sequence[str] = ("sex", "age_group"),
    by: Sequence[str] = (),
    events: str = "numerator",
    population: str = "denominator",
    reference_events: str | None = None,
    reference_population: str | None = None,
    reference_rate: str | None = None,
    conf: float = 0.95,
) -> pd.DataFrame:
    """Expected events from reference stratum rates and the observed/expected ratio with an exact CI.

    ``reference`` gives per stratum either a rate (``reference_rate``, events per person) or counts
    (``reference_events`` / ``reference_population``, defaulting to ``events`` / ``population``). Output
    per ``by`` group: ``observed``, ``expected``, ``ratio`` (O/E), ``lower``, ``upper``, ``population``,
    ``method_da``.

    Example (constructed): reference rates 3% (65-79) and 10% (80+), population 2000 and 500:
    E = 0.03 x 2000 + 0.10 x 500 = 110.

    >>> d = pd.DataFrame({"age_group": ["65-79", "80+"], "numerator": [70, 51], "denominator": [2000, 500]})
    >>> ref = pd.DataFrame({"age_group": ["65-79", "80+"], "numerator": [300, 200],
    ...                     "denominator": [10000, 2000]})
    >>> r = indirect_standardise(d, ref, strata=["age_group"])
    >>> float(r["expected"].iloc[0]), float(r["ratio"].iloc[0])
    (110.0, 1.1)
    """
    strata = list(strata)
    by = list(by)
    _check_columns(data, [*strata, *by, events, population], "indirect_standardise data")
    ref = reference.copy()
    if reference_rate is not None:
        _check_columns(ref, [*strata, reference_rate], "indirect_standardise reference")
        ref = ref.groupby(strata, as_index=False)[reference_rate].mean()
        ref["_rate"] = ref[reference_rate].astype(float)
    else:
        re_col = reference_events or events
        rp_col = reference_population or population
        _check_columns(ref, [*strata, re_col, rp_col], "indirect_standardise reference")
        ref = ref.groupby(strata, as_index=False)[[re_col, rp_col]].sum()
        if (ref[rp_col] <= 0).any():
            raise DataFormatError(
                f"indirect_standardise: reference population is zero in {ref.loc[ref[rp_col] <= 0, strata]}"
            )
        ref["_rate"] = ref[re_col].astype(float) / ref[rp_col].astype(float)
    present = data.dropna(subset=strata)
    agg = present.groupby([*by, *strata], sort=True, dropna=False, as_index=False)[[events, population]].sum()
    merged = agg.merge(ref[[*strata, "_rate"]], on=strata, how="left")
    if merged["_rate"].isna().any():
        first = merged[merged["_rate"].isna()].iloc[:1]
        group = merged.merge(first[by], on=by) if by else merged
        raise DataFormatError(
            "indirect_standardise: no reference rate for stratum/strata "
            f"{group.loc[group['_rate'].isna(), strata].to_dict('records')}"
        )
    merged["_e"] = merged["_rate"] * merged[population].astype(float)
    merged["_o"] = merged[events].astype(float)
    merged["_n"] = merged[population].astype(float)
    if by:  # every group of the data, also one whose rows have no stratum (no events expected)
        groups = data[by].drop_duplicates().sort_values(by, na_position="last").reset_index(drop=True)
        sums = merged.groupby(by, sort=True, dropna=False)[["_o", "_e", "_n"]].sum().reset_index()
        sums = groups.merge(sums, on=by, how="left").fillna({"_o": 0.0, "_e": 0.0, "_n": 0.0})
    else:
        sums = merged[["_o", "_e", "_n"]].sum().to_frame().T
    o, e = sums["_o"].to_numpy(dtype=float), sums["_e"].to_numpy(dtype=float)
    lo, hi = poisson_interval(o, conf)
    with np.errstate(divide="ignore", invalid="ignore"):
        pos = e > 0
        rows = sums[by].assign(observed=o, expected=e, ratio=np.where(pos, o / e, np.nan),
                               lower=np.where(pos, lo / e, np.nan), upper=np.where(pos, hi / e, np.nan),
                               population=sums["_n"].to_numpy(dtype=float), method_da=INDIRECT_METHOD_DA)
    return rows.reset_index(drop=True)
