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

import math
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
    rows = []
    groups = data.groupby(by, sort=True, dropna=False) if by else [((), data)]
    for key, part in groups:
        agg = part.groupby(strata, as_index=False)[[events, population]].sum()
        merged = std.merge(agg, on=strata, how="left")
        missing = merged[merged[population].isna() | (merged[population] <= 0)]
        if len(missing):
            where = dict(zip(by, key if isinstance(key, tuple) else (key,), strict=True)) if by else {}
            raise DataFormatError(
                f"direct_standardise: no population for stratum/strata "
                f"{missing[strata].to_dict('records')} in group {where}"
            )
        d = merged[events].astype(float).to_numpy()
        n = merged[population].astype(float).to_numpy()
        w = merged["_w_std"].to_numpy() / n
        y = float(np.sum(w * d))
        v = float(np.sum(w * w * d))
        o = float(d.sum())
        if method == "gamma":
            lower, upper = gamma_interval(y, v, float(w.max()), conf)
        elif method == "dobson":
            o_l, o_u = poisson_interval(o, conf)
            if o > 0:
                f = math.sqrt(v / o)
                lower, upper = y + f * (o_l - o), y + f * (o_u - o)
            else:
                lower, upper = 0.0, float("nan")
        else:
            lower, upper = max(0.0, y - z * math.sqrt(v)), y + z * math.sqrt(v)
        row = dict(zip(by, key if isinstance(key, tuple) else (key,), strict=True)) if by else {}
        row.update(
            observed=o,
            population=float(n.sum()),
            crude_rate=o / float(n.sum()) * per,
            rate=y * per,
            lower=lower * per,
            upper=upper * per,
            per=per,
            method_da=_METHODS_DA[method],
        )
        rows.append(row)
    out = pd.DataFrame(rows)
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
    rows = []
    groups = data.groupby(by, sort=True, dropna=False) if by else [((), data)]
    for key, part in groups:
        agg = part.groupby(strata, as_index=False)[[events, population]].sum()
        merged = agg.merge(ref[[*strata, "_rate"]], on=strata, how="left")
        if merged["_rate"].isna().any():
            raise DataFormatError(
                "indirect_standardise: no reference rate for stratum/strata "
                f"{merged.loc[merged['_rate'].isna(), strata].to_dict('records')}"
            )
        o = float(merged[events].astype(float).sum())
        e = float((merged["_rate"] * merged[population].astype(float)).sum())
        lo, hi = poisson_interval(o, conf)
        row = dict(zip(by, key if isinstance(key, tuple) else (key,), strict=True)) if by else {}
        row.update(
            observed=o,
            expected=e,
            ratio=o / e if e > 0 else float("nan"),
            lower=lo / e if e > 0 else float("nan"),
            upper=hi / e if e > 0 else float("nan"),
            population=float(merged[population].astype(float).sum()),
            method_da=INDIRECT_METHOD_DA,
        )
        rows.append(row)
    return pd.DataFrame(rows)
