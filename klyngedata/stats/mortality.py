"""Mortality: the age-standardised death rate (European Standard Population 2013), the standardised
mortality ratio (SMR) and premature mortality (deaths under 75), with intervals.

Pure functions on tidy frames; the arithmetic is :mod:`klyngedata.stats.standardise` (direct and indirect
standardisation) and :mod:`klyngedata.stats.intervals` – this module adds the standard population, the age
bands and the rules for a missing or unstable figure.

Input schema (one row per group x age band; groups by the ``by`` columns, e.g. ``entity_id``, ``sex``)
    ``age_start``     int    first age of the band (bands contiguous from 0; the last one open, or closed
                             above ``max_age``)
    ``age_end``       int    last age, inclusive; NA for the open band (optional: without it a band ends
                             where the next starts)
    ``deaths``        float  deaths in the band in the window
    ``person_years``  float  person-years in the band in the window

European Standard Population 2013 (:data:`ESP2013`)
    The weights are the published standard of Eurostat's 2013 revision: Eurostat, *Revision of the European
    Standard Population – Report of Eurostat's task force*, Methodologies and Working papers, 2013 edition,
    Luxembourg: Publications Office of the European Union (KS-RA-13-028). 100,000 persons in 5-year bands
    0-4, 5-9, ..., 90-94 and 95+, with the band 0-4 split by Eurostat into 0 (1,000) and 1-4 (4,000).
    A data band is given the sum of the weights of the standard's bands it covers: 0 and 1-4 keep their own
    weights, a band 0-4 gets 5,000, an open band 90+ gets 90-94 + 95+ = 1,000, 85+ gets 2,500. Bands above
    95 (95-99, 100+) are pooled into the standard's 95+. A band edge below 95 that is not an edge of the
    standard (0, 1, 5, 10, ..., 95), e.g. a band 60-66, is refused with the edges named: the weight of part of
    a standard band is not known.

Directly standardised rate (:func:`standardised_death_rate`)
    ``DSR = sum_i (s_i / S) D_i / P_i x 100,000`` over the bands, ``s_i`` the standard's weights, ``S`` their
    sum over the ages used (all ages, or 0-74 for premature mortality). Interval: Dobson et al. (1991) – the
    exact Poisson limits of the total deaths scaled by ``sqrt(var / D)`` (``method="gamma"``: Fay & Feuer
    1997). Not shown (``value`` NaN, with ``note_da``) with fewer than 10 deaths (PHE's rule for DSRs:
    the interval is unreliable), a missing count, or a band without person-years.

Premature mortality (:func:`premature_mortality_rate`)
    The DSR of deaths under 75 per 100,000 persons under 75, standardised with the standard's ages 0-74.
    The edge 75 must be a band edge (a band 70-79 is refused).

Standardised mortality ratio (:func:`standardised_mortality_ratio`)
    ``E = sum_i r_i P_i`` with the reference's (e.g. Denmark's) rates ``r_i = D_ref,i / P_ref,i`` per band
    (and per ``strata`` such as sex); ``SMR = 100 x O / E`` with exact (Garwood) Poisson limits of ``O``
    divided by ``E``. A band without person-years simply expects no deaths.

Both sexes: :func:`add_both_sexes` adds ``sex="total"`` rows (male + female per band; missing if either is);
the DSR of both sexes is then standardised by age with the same standard.

Example (CONSTRUCTED: two bands 0-64 and 65+ of the standard)
--------------------------------------------------------------
>>> import pandas as pd
>>> d = pd.DataFrame({"age_start": [0, 65], "deaths": [40, 400], "person_years": [80000, 20000]})
>>> r = standardised_death_rate(d).iloc[0]
>>> round(float(r["value"]), 2), float(r["deaths"]), r["note_da"]  # 0.805 x 50 + 0.195 x 2000 per 100,000
(430.25, 440.0, '')
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from klyngedata.exceptions import DataFormatError
from klyngedata.stats.lifetable import band_label_da
from klyngedata.stats.standardise import direct_standardise, indirect_standardise

__all__ = [
    "DSR_COLUMNS",
    "ESP2013",
    "ESP2013_EDGES",
    "METHOD_DA",
    "SMR_COLUMNS",
    "add_both_sexes",
    "esp2013_weights",
    "premature_mortality_rate",
    "standardised_death_rate",
    "standardised_mortality_ratio",
]

ESP2013 = pd.DataFrame(
    [(0, 0, 1000), (1, 4, 4000), (5, 9, 5500), (10, 14, 5500), (15, 19, 5500), (20, 24, 6000), (25, 29, 6000),
     (30, 34, 6500), (35, 39, 7000), (40, 44, 7000), (45, 49, 7000), (50, 54, 7000), (55, 59, 6500),
     (60, 64, 6000), (65, 69, 5500), (70, 74, 5000), (75, 79, 4000), (80, 84, 2500), (85, 89, 1500),
     (90, 94, 800), (95, None, 200)],
    columns=["age_start", "age_end", "weight"],
).astype({"age_end": "Int64", "weight": "float64"})
"""European Standard Population 2013 (Eurostat 2013, see the module docstring): 100,000 persons."""
ESP2013_EDGES = tuple(int(a) for a in ESP2013["age_start"])
_ESP_OPEN = ESP2013_EDGES[-1]
PREMATURE_AGE = 75
MIN_DEATHS_DSR = 10
METHOD_DA = {
    "dsr_dobson": "Direkte aldersstandardiseret dødelighed pr. 100.000 (europæisk standardbefolkning 2013, "
                  "Eurostat); 95 %-konfidensinterval efter Dobson m.fl. (1991).",
    "dsr_gamma": "Direkte aldersstandardiseret dødelighed pr. 100.000 (europæisk standardbefolkning 2013, "
                 "Eurostat); 95 %-konfidensinterval efter gammametoden (Fay & Feuer 1997).",
    "smr": "Standardiseret dødelighedsratio: observerede dødsfald i forhold til de forventede, hvis "
           "referencens dødelighed i hver aldersgruppe gjaldt (100 = som referencen); 95 %-konfidensinterval "
           "med eksakte Poisson-grænser.",
}
DSR_COLUMNS = ("value", "ci95_low", "ci95_high", "ci998_low", "ci998_high", "deaths", "person_years",
               "crude_rate", "per", "method", "note_da")
SMR_COLUMNS = ("value", "ci95_low", "ci95_high", "ci998_low", "ci998_high", "observed", "expected",
               "person_years", "method", "note_da")
_MISSING_DA = ("{what} kan ikke beregnes, fordi antallet af døde eller af indbyggere mangler for en eller flere "
               "aldersgrupper.")


def _band_frame(data: pd.DataFrame, by: Sequence[str], what: str) -> pd.DataFrame:
    """``data`` with integer ``age_start`` and ``age_end`` (NA = open) checked to be contiguous from 0."""
    missing = [c for c in ("age_start", "deaths", "person_years", *by) if c not in data.columns]
    if missing:
        raise DataFormatError(f"{what}: column(s) {missing} missing; columns are {list(data.columns)}")
    out = data.copy()
    out["age_start"] = pd.to_numeric(out["age_start"], errors="raise").astype(int)
    starts = sorted(set(out["age_start"]))
    implied = {s: (n - 1) for s, n in zip(starts, starts[1:], strict=False)}
    if "age_end" in out.columns:
        pairs = set(zip(out["age_start"], [None if pd.isna(e) else int(e) for e in out["age_end"]], strict=True))
        ends = dict(pairs)
        if len(ends) != len(pairs) or any(ends[s] != e for s, e in implied.items()) \
                or (ends[starts[-1]] is not None and ends[starts[-1]] < starts[-1]):
            labels = sorted(band_label_da(s, e) for s, e in pairs)
            raise DataFormatError(f"{what}: the age bands must be contiguous and the same in every group; "
                                  f"bands are {labels}")
        top_end = ends[starts[-1]]
    else:
        top_end = None
    if starts[0] != 0:
        raise DataFormatError(f"{what}: the age bands must start at 0; band starts are {starts}")
    out["age_end"] = out["age_start"].map({**implied, starts[-1]: top_end}).astype("Int64")
    for col in ("deaths", "person_years"):
        out[col] = pd.to_numeric(out[col], errors="coerce").astype(float)
        if (out[col] < 0).any():
            raise DataFormatError(f"{what}: negative {col}")
    return out


def esp2013_weights(age_start: Sequence[int], age_end: Sequence[int | None] | None = None) -> pd.DataFrame:
    """The ESP 2013 weight of each stratum formed from the given contiguous bands.

    Returns ``age_start`` (of the band), ``stratum`` (its start, bands from 95 up pooled into 95) and
    ``weight`` (the weight of the whole stratum, repeated on each of its bands). The last band is open
    unless ``age_end`` closes it (then only the standard's bands below its end are used). Raises
    :class:`~klyngedata.exceptions.DataFormatError` naming the edges that are not edges of the standard.

    >>> w = esp2013_weights([0, 5, 85])
    >>> w["weight"].tolist()
    [5000.0, 92500.0, 2500.0]
    """
    starts = [int(s) for s in age_start]
    ends = list(age_end) if age_end is not None else [None] * len(starts)
    order = np.argsort(starts)
    starts = [starts[i] for i in order]
    ends = [None if ends[i] is None or pd.isna(ends[i]) else int(ends[i]) for i in order]
    top = None if ends[-1] is None else ends[-1] + 1
    edges = set(starts) | ({top} if top is not None else set())
    bad = sorted(e for e in edges if e < _ESP_OPEN and e not in ESP2013_EDGES)
    if bad:
        raise DataFormatError(
            f"age bands do not fit the European Standard Population 2013: the edge(s) {bad} are not edges of "
            f"the standard's bands ({', '.join(map(str, ESP2013_EDGES[:4]))}, ..., {_ESP_OPEN}); bands are "
            f"{[band_label_da(s, e) for s, e in zip(starts, ends, strict=True)]}")
    strata = [min(s, _ESP_OPEN) for s in starts]
    bounds = sorted(set(strata)) + [top if top is not None and top <= _ESP_OPEN else None]
    esp = ESP2013["age_start"].to_numpy()
    weight_of = {}
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        inside = (esp >= lo) & ((esp < hi) if hi is not None else True)
        weight_of[lo] = float(ESP2013["weight"].to_numpy()[inside].sum())
    return pd.DataFrame({"age_start": starts, "stratum": strata, "weight": [weight_of[s] for s in strata]})


def _restrict(data: pd.DataFrame, max_age: int | None, what: str) -> pd.DataFrame:
    if max_age is None:
        return data
    starts = sorted(set(data["age_start"]))
    if max_age not in starts:
        cut = [band_label_da(s, e) for s, e in set(zip(data["age_start"], data["age_end"], strict=True))
               if s < max_age and (pd.isna(e) or e >= max_age)]
        raise DataFormatError(f"{what}: {max_age} is not a band edge; band(s) {sorted(cut)} straddle it")
    return data[data["age_start"] < max_age]


def _group_index(frame: pd.DataFrame, by: list[str]) -> tuple[pd.DataFrame, np.ndarray]:
    """The ``by`` groups in ``groupby(by)`` order (one group without ``by``) and each row's group number."""
    if not by:
        return pd.DataFrame(index=[0]), np.zeros(len(frame), dtype=np.int64)
    group_of = frame.groupby(by, sort=True, dropna=False).ngroup().to_numpy()
    first = np.unique(group_of, return_index=True)[1]
    return frame[by].iloc[first].reset_index(drop=True), group_of


def _stratum_sums(frame: pd.DataFrame, by: list[str], strata: list[int]
                  ) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """The ``by`` groups (in ``groupby(by)`` order), their deaths and person-years per stratum (groups x strata;
    NaN where any summed count is missing or the stratum is absent: no partial sums) and each row's group."""
    keys, group_of = _group_index(frame, by)
    n_g, n_s = len(keys), len(strata)
    s_idx = pd.Categorical(frame["stratum"], categories=strata).codes
    out = []
    for col in ("deaths", "person_years"):
        mat = np.zeros((n_g, n_s))
        seen = np.zeros((n_g, n_s), dtype=np.int64)
        np.add.at(mat, (group_of, s_idx), frame[col].to_numpy(dtype=float))  # NaN + x = NaN
        np.add.at(seen, (group_of, s_idx), 1)
        mat[seen == 0] = np.nan
        out.append(mat)
    return keys, out[0], out[1], np.asarray(group_of)


def standardised_death_rate(data: pd.DataFrame, *, by: Sequence[str] = (), max_age: int | None = None,
                            method: str = "dobson", min_deaths: float = MIN_DEATHS_DSR) -> pd.DataFrame:
    """Directly age-standardised death rate per 100,000 (ESP 2013) with 95 % and 99.8 % intervals.

    One row per ``by`` group: the ``by`` columns and :data:`DSR_COLUMNS` (``value`` NaN with a Danish
    ``note_da`` when not computable or under ``min_deaths`` deaths). ``max_age`` restricts to the ages
    below it (premature mortality: 75). ``method``: ``"dobson"`` or ``"gamma"``.

    Example (CONSTRUCTED: 0-4 and 5+, weights 5,000 and 95,000)
    ------------------------------------------------------------
    >>> d = pd.DataFrame({"age_start": [0, 5], "deaths": [5, 995], "person_years": [10000, 90000]})
    >>> round(float(standardised_death_rate(d)["value"].iloc[0]), 2)  # 0.05 x 50 + 0.95 x 1105.56
    1052.78
    """
    what = "standardised_death_rate"
    if method not in ("dobson", "gamma"):
        raise ValueError(f"{what}: method must be 'dobson' or 'gamma', got {method!r}")
    by = list(by)
    frame = _restrict(_band_frame(data, by, what), max_age, what)
    bands = frame[["age_start", "age_end"]].drop_duplicates().sort_values("age_start")
    weights = esp2013_weights(bands["age_start"], bands["age_end"])
    frame = frame.merge(weights[["age_start", "stratum"]], on="age_start")
    standard = weights.drop_duplicates("stratum")[["stratum", "weight"]].rename(columns={"weight": "population"})
    top = bands["age_end"].iloc[-1]
    ends = [int(x) - 1 for x in standard["stratum"].iloc[1:]] + [None if pd.isna(top) else int(top)]
    labels = {s: band_label_da(s, e) for s, e in zip(standard["stratum"], ends, strict=True)}
    name = "Den aldersstandardiserede dødelighed"
    out, d_mat, p_mat, group_of = _stratum_sums(frame, by, list(standard["stratum"]))
    d, p = d_mat.sum(axis=1), p_mat.sum(axis=1)
    incomplete = np.isnan(d_mat).any(axis=1) | np.isnan(p_mat).any(axis=1) | (
        frame.groupby(group_of)["age_start"].nunique().reindex(range(len(out))).to_numpy() < len(bands))
    empty = (p_mat <= 0).any(axis=1)
    notes = np.where(incomplete, _MISSING_DA.format(what=name), "").astype(object)
    for i in np.flatnonzero(empty & ~incomplete):
        band = labels[standard["stratum"].iloc[int(np.flatnonzero(p_mat[i] <= 0)[0])]]
        notes[i] = f"{name} kan ikke beregnes, fordi der ikke var indbyggere i aldersgruppen {band} i perioden."
    few = ~incomplete & ~empty & (d < min_deaths)
    notes[few] = (f"{name} vises ikke, fordi der var færre end {min_deaths:g} dødsfald i perioden; tallet ville "
                  f"være for usikkert.")
    out = out.assign(deaths=d, person_years=p, per=100_000.0, method=f"dsr_{method}", note_da=notes)
    ok = []
    good = np.flatnonzero(notes == "")
    if len(good):
        ok = [frame[np.isin(group_of, good)].assign(_group=group_of[np.isin(group_of, good)])]
    for col in ("value", "crude_rate", "ci95_low", "ci95_high", "ci998_low", "ci998_high"):
        out[col] = np.nan
    if ok:
        both = pd.concat(ok, ignore_index=True)
        for conf, low, high in ((0.95, "ci95_low", "ci95_high"), (0.998, "ci998_low", "ci998_high")):
            res = direct_standardise(both, standard, strata=["stratum"], by=["_group"], events="deaths",
                                     population="person_years", per=100_000, conf=conf, method=method)
            idx = res["_group"].to_numpy()
            out.loc[idx, low], out.loc[idx, high] = res["lower"].to_numpy(), res["upper"].to_numpy()
            out.loc[idx, "value"], out.loc[idx, "crude_rate"] = res["rate"].to_numpy(), res["crude_rate"].to_numpy()
    return out[[*by, *DSR_COLUMNS]]


def premature_mortality_rate(data: pd.DataFrame, *, by: Sequence[str] = (), method: str = "dobson",
                             min_deaths: float = MIN_DEATHS_DSR) -> pd.DataFrame:
    """Premature mortality: the age-standardised death rate under 75 per 100,000 persons under 75.

    :func:`standardised_death_rate` with ``max_age=75`` (ESP 2013 weights of ages 0-74).

    Example (CONSTRUCTED)
    ---------------------
    >>> d = pd.DataFrame({"age_start": [0, 75], "deaths": [300, 5000], "person_years": [100000, 10000]})
    >>> round(float(premature_mortality_rate(d)["value"].iloc[0]), 1)
    300.0
    """
    return standardised_death_rate(data, by=by, max_age=PREMATURE_AGE, method=method, min_deaths=min_deaths)


def standardised_mortality_ratio(data: pd.DataFrame, reference: pd.DataFrame, *, by: Sequence[str] = (),
                                 strata: Sequence[str] = (), max_age: int | None = None) -> pd.DataFrame:
    """Indirectly standardised mortality ratio (100 = the reference) with exact Poisson intervals.

    ``reference`` has the same bands (and ``strata`` columns, e.g. ``sex``) with ``deaths`` and
    ``person_years`` (e.g. Denmark's). One row per ``by`` group: the ``by`` columns and
    :data:`SMR_COLUMNS`; ``value`` NaN with ``note_da`` when a count is missing or no deaths are expected.

    Example (CONSTRUCTED: reference rates 1 % and 10 %; E = 0.01 x 2000 + 0.10 x 500 = 70)
    ---------------------------------------------------------------------------------------
    >>> d = pd.DataFrame({"age_start": [0, 65], "deaths": [25, 59], "person_years": [2000, 500]})
    >>> ref = pd.DataFrame({"age_start": [0, 65], "deaths": [100, 1000], "person_years": [10000, 10000]})
    >>> r = standardised_mortality_ratio(d, ref).iloc[0]
    >>> float(r["observed"]), float(r["expected"]), float(r["value"])
    (84.0, 70.0, 120.0)
    """
    what = "standardised_mortality_ratio"
    by, strata = list(by), list(strata)
    frame = _restrict(_band_frame(data, [*by, *strata], what), max_age, what)
    ref = _restrict(_band_frame(reference, strata, f"{what} reference"), max_age, f"{what} reference")
    mine = sorted(set(zip(frame["age_start"], frame["age_end"], strict=True)), key=lambda b: b[0])
    theirs = sorted(set(zip(ref["age_start"], ref["age_end"], strict=True)), key=lambda b: b[0])
    if mine != theirs:
        raise DataFormatError(f"{what}: the data's age bands {[band_label_da(*b) for b in mine]} differ from the "
                              f"reference's {[band_label_da(*b) for b in theirs]}")
    name = "Den standardiserede dødelighedsratio"
    out, group_of = _group_index(frame, by)
    d, p = np.zeros(len(out)), np.zeros(len(out))
    np.add.at(d, group_of, frame["deaths"].to_numpy(dtype=float))  # NaN + x = NaN: no partial sums
    np.add.at(p, group_of, frame["person_years"].to_numpy(dtype=float))
    bands_per = frame.assign(_g=group_of).drop_duplicates(["_g", *strata, "age_start"]).groupby(
        ["_g", *strata]).size()
    complete = bands_per.eq(len(mine)).groupby(level="_g").all().reindex(range(len(out)), fill_value=False)
    notes = np.where(np.isnan(d) | np.isnan(p) | ~complete.to_numpy(), _MISSING_DA.format(what=name), "")
    out = out.assign(observed=d, person_years=p, method="smr", note_da=notes.astype(object))
    good = np.flatnonzero(notes == "")
    ok = [frame[np.isin(group_of, good)].assign(_group=group_of[np.isin(group_of, good)])] if len(good) else []
    for col in ("value", "expected", "ci95_low", "ci95_high", "ci998_low", "ci998_high"):
        out[col] = np.nan
    if ok:
        both = pd.concat(ok, ignore_index=True)
        for conf, low, high in ((0.95, "ci95_low", "ci95_high"), (0.998, "ci998_low", "ci998_high")):
            res = indirect_standardise(both, ref, strata=["age_start", *strata], by=["_group"], events="deaths",
                                       population="person_years", conf=conf)
            idx = res["_group"].to_numpy()
            out.loc[idx, low], out.loc[idx, high] = 100 * res["lower"].to_numpy(), 100 * res["upper"].to_numpy()
            out.loc[idx, "value"], out.loc[idx, "expected"] = 100 * res["ratio"].to_numpy(), res["expected"].to_numpy()
        no_expected = out["expected"].eq(0) & out["note_da"].eq("")
        out.loc[no_expected, "note_da"] = (f"{name} kan ikke beregnes, fordi der ikke forventes nogen dødsfald "
                                           f"i befolkningen.")
    return out[[*by, *SMR_COLUMNS]]


def add_both_sexes(data: pd.DataFrame, *, sex: str = "sex", male: str = "male", female: str = "female",
                   total: str = "total") -> pd.DataFrame:
    """``data`` with ``sex=total`` rows added: male + female per combination of the other key columns.

    Key columns are all columns but ``deaths``, ``person_years`` and ``sex``. A total is missing (NaN) when
    either sex is missing or absent – never a partial sum. Existing ``total`` rows are replaced.

    >>> d = pd.DataFrame({"sex": ["male", "female"], "age_start": [0, 0], "deaths": [3, 4],
    ...                   "person_years": [100, 120]})
    >>> add_both_sexes(d).query("sex == 'total'")[["deaths", "person_years"]].values.tolist()
    [[7.0, 220.0]]
    """
    keys = [c for c in data.columns if c not in ("deaths", "person_years", sex)]
    parts = data[data[sex].isin([male, female])]
    grouped = parts.groupby(keys, sort=False, dropna=False)
    sums = grouped[["deaths", "person_years"]].sum(min_count=2)
    complete = grouped[sex].nunique().eq(2) & grouped.size().eq(2)
    sums = sums.astype(float)
    sums.loc[~complete.to_numpy()] = np.nan
    sums = sums.reset_index()
    sums[sex] = total
    return pd.concat([data[data[sex] != total], sums[data.columns]], ignore_index=True)
