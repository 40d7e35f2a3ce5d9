"""A report's data, loaded once per unit: population at every level, key figures, health indicators, the
division's tables for comparisons, the resolved period, and the unit's words; plus the helpers the sections
share (Danish notes for what is missing, sources, names)."""

from __future__ import annotations

import logging
import os
from typing import Any

import pandas as pd

from klyngedata import clock
from klyngedata.exceptions import DataNotAvailable, KlyngedataError
from klyngedata.health_defs import HEALTH_FIGURES
from klyngedata.registry.words import UnitWords, words
from klyngedata.reports import blocks
from klyngedata.reports.html import setup_notebook
from klyngedata.vocabulary import parse_age_group

log = logging.getLogger(__name__)

TILE_FIGURES = ("population", "growth_1y", "growth_1y_pct", "share_65_plus", "share_80_plus", "median_age",
                "old_age_dependency")
SHARE_FIGURES = ("share_0_17", "share_18_64", "share_65_plus", "share_80_plus")
GROWTH_PCT_FIGURES = ("growth_1y_pct", "growth_5y_pct", "growth_10y_pct")
MEMBER_FIGURES = ("population", "growth_1y", "growth_1y_pct", "share_65_plus", "share_80_plus", "median_age")
SPINE_POPULATION = ("growth_1y_pct", "share_0_17", "share_65_plus", "share_80_plus", "old_age_dependency",
                    "median_age")
"""Population figures in the barometer (those the data allow), after the health indicators."""
PEER_COUNT = 5
UNCOMPARED = frozenset(f for f, d in HEALTH_FIGURES.items() if not d.comparable)
"""Fetched health figures never compared across units (counts, life expectancy, projections)."""

_HOW_TO_GET = ("get the data with `klyngedata data fetch` (StatBank, needs internet) or import a downloaded "
               "file with `klyngedata data import PATH`")
"""Analyst hint (run log and manifest, never the report) when data a block needs are missing."""


def _technical(exc: BaseException | None) -> None:
    """The technical (English) reason goes to the log (:mod:`klyngedata.logs`), never into the report."""
    if exc is not None:
        log.info("%s: %s", type(exc).__name__, exc)


def _note(text_da: str, exc: BaseException | None = None) -> Any:
    _technical(exc)
    return blocks.note_da(text_da)


def _unavailable(what_da: str, exc: BaseException | None = None) -> Any:
    _technical(exc)
    log.info("%s: %s", what_da, _HOW_TO_GET)
    return blocks.note_da(f"{what_da} kan ikke vises, fordi de nødvendige data ikke findes blandt de data, "
                          "rapporten bygger på.")



def _confirmed(cluster: Any) -> bool:
    """True when the registry marks the cluster and every membership as verified."""
    members = getattr(cluster, "members", None)
    ok = bool(getattr(cluster, "verified", True))
    if members is not None and len(members) and "verified" in members.columns:
        ok = ok and bool(members["verified"].fillna(False).astype(bool).all())
    return ok


def _division_row(division: str) -> pd.Series | None:
    from klyngedata import registry

    divs = registry.divisions()
    row = divs[divs["division"] == division]
    return row.iloc[0] if len(row) else None


def _division_name(division: str) -> str:
    """Danish name of a division (never its id)."""
    row = _division_row(division)
    return str(row["name"]) if row is not None else "–"


def _division_start(division: str) -> str:
    """Year the division began ("2022"), for "not confirmed by an official source from 2022"."""
    row = _division_row(division)
    return str(pd.Timestamp(row["valid_from"]).year) if row is not None and pd.notna(row["valid_from"]) else "i dag"


def _given(value: Any) -> bool:
    return value is not None and not (not isinstance(value, (str, list, tuple)) and pd.isna(value)) and value != ""


def _age_group_label(label: str) -> str:
    return parse_age_group(label)


def _projection_groups(rows: pd.DataFrame) -> pd.DataFrame:
    """65+ and 80+ totals per period from projection rows grouped at 65 and 80 (``65-79``, ``80+``)."""
    if "sex" in rows.columns and (rows["sex"].astype(str) == "total").any():
        rows = rows[rows["sex"].astype(str) == "total"]
    agg = rows.assign(population=pd.to_numeric(rows["population"])).groupby(["period", "age_group"])["population"].sum()
    by_period = []
    for period, grp in agg.groupby(level="period"):
        groups = {str(k[1]): float(v) for k, v in grp.items()}
        g80 = sum(v for k, v in groups.items() if k.startswith("80"))
        g65 = g80 + sum(v for k, v in groups.items() if k.startswith("65"))
        by_period += [{"period": period, "age_group": "65+", "population": g65},
                      {"period": period, "age_group": "80+", "population": g80}]
    return pd.DataFrame(by_period)


def _sources_text(table: pd.DataFrame) -> str:
    """Danish source line of a division table (publishers of the figures shown; no file names)."""
    from klyngedata import catalogue

    names = []
    for fid in dict.fromkeys(table["figure_id"]):
        try:
            src = catalogue.figure(fid).source_da
        except KlyngedataError:
            continue
        src = src.split(",")[0].split(" (")[0] if src else ""
        if src and src not in names:
            names.append(src)
    return "Kilde: " + "; ".join(names) if names else ""


def _spine_csv(data: pd.DataFrame, name: str) -> pd.DataFrame:
    """The barometer's numbers with Danish column names (what the chart shows), rounded as shown."""
    from klyngedata.spine import _decimals

    data = data.copy()
    dec = [_decimals(f, u) for f, u in zip(data["figure_id"], data["unit"], strict=True)]
    for col in ("value", "ci95_low", "ci95_high", "country_value", "min", "q25", "q75", "max"):
        data[col] = [round(float(v), d) if pd.notna(v) else v for v, d in zip(data[col], dec, strict=True)]
    return pd.DataFrame({
        "Nøgletal": data["label_da"], "Enhed for tallet": data["unit"], "Periode": data["period"].astype(str),
        name: data["value"], "Vist som": data["display"], "95 %-konfidensinterval, nedre": data["ci95_low"],
        "95 %-konfidensinterval, øvre": data["ci95_high"], "Hele landet": data["country_value"],
        "Laveste værdi": data["min"], "25 %-fraktil": data["q25"], "75 %-fraktil": data["q75"],
        "Højeste værdi": data["max"], "Antal med tal": data["n_units"],
        "Vurdering mod hele landet": data["outcome_da"], "Udvikling": data["trend_da"],
    })


def _short_names(division: str) -> dict[str, str]:
    """Short column names of a division's units ("Bornholm"; "Midt (Nordjylland)" where short names repeat)."""
    from klyngedata import registry

    units = registry.clusters(division=division)
    short = units["short_name"].fillna(units["name"]).astype(str)
    dup = short.duplicated(keep=False)
    region = units["region_name"].fillna("").astype(str).str.replace("Region ", "", regex=False)
    labels = [f"{s} ({r})" if d and r else s for s, r, d in zip(short, region, dup, strict=True)]
    return dict(zip(units["cluster_id"], labels, strict=True))


def _name_of(unit_id: str) -> str:
    from klyngedata import registry

    try:
        return registry.cluster(unit_id).name
    except KlyngedataError:
        return unit_id


def _peer_frame(table: pd.DataFrame, ids: list[str], names: dict[str, str]) -> pd.DataFrame:
    """Figures (rows) x the unit, its peers and Denmark (columns), as the texts shown."""
    rows = []
    used = [c for c in ("figure_id", "entity_id", "label_da", "unit", "value", "display", "suppressed",
                        "country_value") if c in table.columns]
    parts = dict(iter(table[used].groupby("figure_id", sort=False, dropna=True)))  # one pass, not one per figure
    for fid in dict.fromkeys(table["figure_id"]):
        part = parts.get(fid, table.iloc[:0][used]).set_index("entity_id")
        first = part.iloc[0]
        where = {e: i for i, e in enumerate(part.index)} if part.index.is_unique else None  # row look-ups
        unit = str(first.get("unit", ""))
        rec = {"Nøgletal": str(first["label_da"]) + (f" ({unit})" if unit and unit not in str(first["label_da"])
                                                     else "")}
        dec = blocks._decimals(fid, unit)
        for u in ids:
            if where is not None:
                r = part.iloc[where[u]] if u in where else None
            else:
                r = part.loc[u] if u in part.index else None
            rec[names[u]] = "–" if r is None else blocks.value_text(r["value"], unit, dec, r.get("display"),
                                                                     r.get("suppressed", False), blocks.is_change(fid))
        rec["Hele landet"] = blocks.value_text(first.get("country_value"), unit, dec, sign=blocks.is_change(fid))
        rows.append(rec)
    return pd.DataFrame(rows)


class UnitData:
    """The data part of :class:`klyngedata.reports.context.ClusterReport` (see there)."""

    def __init__(
        self,
        cluster: str,
        division: str | None = None,
        period: str | None = "latest",
        data_dir: str | os.PathLike[str] | None = None,
        *,
        report: bool | None = None,
    ) -> None:
        from klyngedata import registry

        self.renderer = setup_notebook(report)
        self.cluster = registry.cluster(cluster, division=division or None)  # an id names its division
        self.division = self.cluster.division
        self.words: UnitWords = words(self.cluster)  # sundhedsklynge/klyngen or sundhedsråd/rådet
        self.period = period or "latest"
        self.data_dir = None if data_dir in (None, "") else str(data_dir)
        self._frames: dict[str, Any] = {}
        self._periods: dict[str, pd.DataFrame] = {}  # level -> (entity_id, period) in the data, any period
        self._derived: dict[str, Any] = {}  # tables built from the frames above (not sources: not in the footer)
        self.started_at = clock.now()

    # ------------------------------------------------------------------ data
    def population(self, level: str) -> pd.DataFrame:
        """Total population of every entity at ``level`` for all periods up to the report period (cached)."""
        key = f"population:{level}"
        if key not in self._frames:
            from klyngedata.population import population

            frame = population(level=level, division=self.division, period="all", data_dir=self.data_dir)
            self._periods[level] = frame[["entity_id", "period"]].drop_duplicates()  # before the cut below
            if self.period not in ("latest", "all") and len(frame):
                from klyngedata.vocabulary import parse_period

                end = parse_period(self.period)
                keep = [p <= end if getattr(p, "freqstr", None) == end.freqstr else True for p in frame["period"]]
                attrs = dict(frame.attrs)
                frame = frame[keep]
                frame.attrs.update(attrs)
            self._frames[key] = frame
        return self._frames[key]

    def _entity_rows(self, level: str, entity_id: str) -> pd.DataFrame:
        frame = self.population(level)
        out = frame[frame["entity_id"].astype(str) == str(entity_id)]
        out.attrs.update(frame.attrs)
        return out

    def keyfigures(self) -> pd.DataFrame:
        """The cluster's key figures (:func:`klyngedata.keyfigures.key_figures`), computed once."""
        if "keyfigures" not in self._frames:
            frame = self._batch_table("keyfigures", self.cluster.id)
            if frame is None:
                from klyngedata.keyfigures import key_figures

                frame = key_figures(self.cluster.id, period=self.period, division=self.division,
                                    data_dir=self.data_dir)
            self._frames["keyfigures"] = frame
        return self._frames["keyfigures"]

    def _batch_table(self, kind: str, key: str) -> pd.DataFrame | None:
        """The table a report batch computed once (:mod:`klyngedata.reports.precompute`), if any: the very
        result the call it replaces would return."""
        from klyngedata.reports.precompute import read_table

        return read_table(kind, key, division=self.division, period=self.period, data_dir=self.data_dir)

    def indicators(self) -> pd.DataFrame:
        """Health indicators pooled to the cluster (:func:`klyngedata.indicators.indicator_figures`)."""
        if "indicators" not in self._frames:
            frame = self._batch_table("indicators", self.cluster.id)
            if frame is None:
                from klyngedata.indicators import indicator_figures

                frame = indicator_figures(cluster=self.cluster.id, level="cluster", division=self.division,
                                          data_dir=self.data_dir)
            self._frames["indicators"] = frame
        return self._frames["indicators"]

    def division_indicators(self) -> pd.DataFrame:
        """Health indicators of every unit of the division (the spread in the barometer, the peers), once."""
        if "division_indicators" not in self._frames:
            frame = self._batch_table("division_indicators", self.division)
            if frame is None:
                from klyngedata.indicators import indicator_figures

                frame = indicator_figures(level="cluster", division=self.division, data_dir=self.data_dir)
            self._frames["division_indicators"] = frame
        return self._frames["division_indicators"]

    def division_keyfigures(self) -> pd.DataFrame:
        """Population key figures of every unit of the division (:mod:`klyngedata.division_figures`), once."""
        if "division_keyfigures" not in self._frames:
            frame = self._batch_table("division_keyfigures", self.division)
            if frame is None:
                from klyngedata.division_figures import division_key_figures

                frame = division_key_figures(self.division, self.period, self.data_dir)
            self._frames["division_keyfigures"] = frame
        return self._frames["division_keyfigures"]

    def _division_table(self) -> pd.DataFrame:
        """Health indicators (both sexes, all ages) and the barometer's population figures of all units (built
        once: the barometer and the peers both show it; callers do not change it)."""
        if "division_table" not in self._derived:
            self._derived["division_table"] = self._build_division_table()
        return self._derived["division_table"]

    def _build_division_table(self) -> pd.DataFrame:
        parts = []
        try:
            from klyngedata.indicators import headline_rows

            ind = self.division_indicators()
            ind = ind[~ind["figure_id"].isin(UNCOMPARED)]  # counts, life expectancy, projections: not compared
            parts.append(headline_rows(ind))  # one row per unit and figure
        except (KlyngedataError, ImportError) as exc:
            _technical(exc)
        try:
            kf = self.division_keyfigures()
            parts.append(kf[kf["figure_id"].isin(SPINE_POPULATION)])
        except (KlyngedataError, ImportError) as exc:
            _technical(exc)
        parts = [p for p in parts if len(p)]
        if not parts:
            raise DataNotAvailable("no figures for the units of the division")
        return pd.concat(parts, ignore_index=True)

    def _spread_name(self) -> str:
        """The units of the spread in Danish: "klyngerne", "rådene" (:mod:`klyngedata.registry.words`)."""
        return self.words.plural_definite

    def resolved_period(self) -> str:
        """The period the report describes (the latest period in the data up to the requested one)."""
        try:
            rows = self._entity_rows("cluster", self.cluster.id)
            if len(rows):
                from klyngedata.vocabulary import period_code

                return period_code(max(rows["period"]))
        except (KlyngedataError, ImportError) as exc:
            _technical(exc)
        return "" if self.period in ("latest", "all") else str(self.period)

    # ------------------------------------------------------------------ blocks
    def fill(self, template: str) -> str:
        """``template`` in this unit's words: ``"{Klyngens} organisering"`` -> ``"Rådets organisering"`` for a
        council (placeholders: :mod:`klyngedata.registry.words`; also ``{navn}``, ``{akuthospital}`` and ``{fra}`` /
        ``{til}``, the units before and after the transition the unit takes part in: sundhedsklynger, sundhedsråd)."""
        from klyngedata.reports.transition import transition_pair

        n = len(self.cluster.hospitals)
        pair = transition_pair(self.cluster.id) or (self.division, self.division)
        return self.words.fill(template, navn=self.cluster.name,
                               akuthospital="akuthospitaler" if n > 1 else "akuthospital",
                               fra=words(pair[0]).units, til=words(pair[1]).units)

    def check_data(self) -> None:
        """Raise :class:`~klyngedata.exceptions.ReportDataError` when the report has nothing to stand on.

        A report is not written (and a previous one is kept) when the unit's population cannot be read (not
        cached, or the cache entry is damaged) or when the requested period is not in the data: every section
        would be "not available", or the header would claim another period than the one asked for.
        Missing parts (a projection, the age breakdown, single missing figures) are shown as notes instead.

        Example
        -------
        Needs population data imported into the data directory; not run as a doctest.
        >>> ClusterReport("nordjylland-nord", period="2099M01").check_data()  # doctest: +SKIP
        Traceback (most recent call last):
        ReportDataError: nordjylland-nord: period 2099M01 is not in the population data (...)
        """
        from klyngedata.exceptions import ReportDataError
        from klyngedata.vocabulary import parse_period

        want = None
        if self.period not in ("latest", "all"):
            try:
                want = parse_period(self.period)
            except KlyngedataError as exc:
                raise ReportDataError(f"{self.cluster.id}: {exc}") from exc
        try:
            frame = self.population("cluster")
        except KlyngedataError as exc:
            raise ReportDataError(f"{self.cluster.id}: the population data cannot be used, so the report is not "
                                  f"written: {exc}") from exc
        every = self._periods.get("cluster", frame[["entity_id", "period"]])
        rows = every[every["entity_id"].astype(str) == self.cluster.id]
        if rows.empty:
            raise ReportDataError(f"{self.cluster.id}: the population data have no rows for this unit, so the "
                                  "report is not written")
        if want is None:
            return
        have = set(rows["period"])
        same_day = {want, want.asfreq("M", how="start")} if want.freqstr[0] == "Q" else {want}
        if not have & same_day:
            from klyngedata.vocabulary import period_code

            ordered = sorted(have, key=lambda p: p.start_time)
            raise ReportDataError(
                f"{self.cluster.id}: period {self.period} is not in the population data (it has "
                f"{period_code(ordered[0])}..{period_code(ordered[-1])}), so the report is not written")
