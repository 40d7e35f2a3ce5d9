"""One object per report that loads a cluster's data once and returns every block the notebooks show.

The report notebooks stay thin: each cell is one call on a :class:`ClusterReport` (a Danish heading in a
markdown cell above it). Every method returns something Jupyter displays: a plotly figure, or an HTML block
from :mod:`klyngedata.reports.blocks`. When the data a block needs are not available (e.g. the sex/age
breakdown when only total population is cached, or a population projection), the method returns a Danish
note saying what is missing and how to get it – never an invented figure.

Example
-------
>>> from klyngedata.reports import ClusterReport
>>> r = ClusterReport("nordjylland-nord")  # doctest: +SKIP
>>> r.trend()  # doctest: +SKIP
"""

from __future__ import annotations

import os
import sys
from typing import Any

import pandas as pd

from klyngedata import clock
from klyngedata.exceptions import DataNotAvailable, KlyngedataError
from klyngedata.reports import blocks
from klyngedata.reports.download import download_link, with_download
from klyngedata.reports.html import record, setup_notebook
from klyngedata.reports.reader import AnalystNotes, data_age_da, missing_sentences, reader_source
from klyngedata.vocabulary import UnitWords, words

TILE_FIGURES = ("population", "growth_1y", "growth_1y_pct", "share_65_plus", "share_80_plus", "median_age",
                "old_age_dependency")
SHARE_FIGURES = ("share_0_17", "share_18_64", "share_65_plus", "share_80_plus")
GROWTH_PCT_FIGURES = ("growth_1y_pct", "growth_5y_pct", "growth_10y_pct")
MEMBER_FIGURES = ("population", "growth_1y", "growth_1y_pct", "share_65_plus", "share_80_plus", "median_age")
SPINE_POPULATION = ("growth_1y_pct", "share_0_17", "share_65_plus", "share_80_plus", "old_age_dependency",
                    "median_age")
"""Population figures in the barometer (those the data allow), after the health indicators."""
PEER_COUNT = 5

_HOW_TO_GET = ("get the data with `klyngedata data fetch` (StatBank, needs internet) or import a downloaded "
               "file with `klyngedata data import PATH`")
"""Analyst hint (run log and manifest, never the report) when data a block needs are missing."""


def _technical(exc: BaseException | None) -> None:
    """The technical (English) reason goes to stderr: kept in the executed notebook, not shown in the report."""
    if exc is not None:
        print(f"klyngedata: {type(exc).__name__}: {exc}", file=sys.stderr)


def _note(text_da: str, exc: BaseException | None = None) -> Any:
    _technical(exc)
    return blocks.note_da(text_da)


def _unavailable(what_da: str, exc: BaseException | None = None) -> Any:
    _technical(exc)
    print(f"klyngedata: {what_da}: {_HOW_TO_GET}", file=sys.stderr)
    return blocks.note_da(f"{what_da} kan ikke vises, fordi de nødvendige data ikke findes blandt de data, "
                          "rapporten bygger på.")


class ClusterReport:
    """Data and display blocks for one cluster's report.

    ``cluster``: id or name (resolved by :func:`klyngedata.registry.cluster`); ``division``: default is the
    division valid today; ``period``: ``"latest"`` or a period such as ``"2024M01"``; ``data_dir``: the
    local data directory (default: ``$KLYNGEDATA_DATA_DIR`` or the user data directory).
    ``report``: force (or disable) report rendering of plotly figures; default: detected.

    Example
    -------
    >>> r = ClusterReport("nordjylland-nord", period="latest")  # doctest: +SKIP
    >>> r.keyfigure_table()  # doctest: +SKIP
    """

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
                from klyngedata.keyfigures import to_period

                end = to_period(self.period)
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
        """Health indicators (both sexes, all ages) and the barometer's population figures of all units."""
        parts = []
        try:
            ind = self.division_indicators()
            parts.append(ind[ind["sex"].astype(str) == "total"] if "sex" in ind.columns else ind)
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
        """The units of the spread in Danish: "klyngerne", "rådene" (:mod:`klyngedata.vocabulary`)."""
        return self.words.plural_definite

    def resolved_period(self) -> str:
        """The period the report describes (the latest period in the data up to the requested one)."""
        try:
            rows = self._entity_rows("cluster", self.cluster.id)
            if len(rows):
                from klyngedata.figures import _period_code

                return _period_code(max(rows["period"]))
        except (KlyngedataError, ImportError) as exc:
            _technical(exc)
        return "" if self.period in ("latest", "all") else str(self.period)

    # ------------------------------------------------------------------ blocks
    def fill(self, template: str) -> str:
        """``template`` in this unit's words: ``"{Klyngens} organisering"`` -> ``"Rådets organisering"`` for a
        council (placeholders: :mod:`klyngedata.vocabulary`; also ``{navn}``, ``{akuthospital}`` and ``{fra}`` /
        ``{til}``, the units before and after the transition the unit takes part in: sundhedsklynger, sundhedsråd)."""
        from klyngedata.reports.transition import transition_pair

        n = len(self.cluster.hospitals)
        pair = transition_pair(self.cluster.id) or (self.division, self.division)
        return self.words.fill(template, navn=self.cluster.name,
                               akuthospital="akuthospitaler" if n > 1 else "akuthospital",
                               fra=words(pair[0]).units, til=words(pair[1]).units)

    def heading(self, title: str, intro: str = "", level: int = 2) -> Any:
        """A Danish heading (and an intro paragraph) in this unit's words, e.g.
        ``rapport.heading("{Klyngens} organisering")`` shows "Klyngens organisering" or "Rådets organisering"."""
        from IPython.display import Markdown

        text = f"{'#' * level} {self.fill(title)}"
        return Markdown(text + (f"\n\n{self.fill(intro)}" if intro else ""))

    def text(self, template: str) -> Any:
        """A Danish paragraph in this unit's words (see :meth:`fill`)."""
        from IPython.display import Markdown

        return Markdown(self.fill(template))

    def check_data(self) -> None:
        """Raise :class:`~klyngedata.exceptions.ReportDataError` when the report has nothing to stand on.

        A report is not written (and a previous one is kept) when the unit's population cannot be read (not
        cached, or the cache entry is damaged) or when the requested period is not in the data: every section
        would be "not available", or the header would claim another period than the one asked for.
        Missing parts (a projection, the age breakdown, single missing figures) are shown as notes instead.

        Example
        -------
        >>> ClusterReport("nordjylland-nord", period="2099M01").check_data()  # doctest: +SKIP
        Traceback (most recent call last):
        ReportDataError: nordjylland-nord: period 2099M01 is not in the population data (...)
        """
        from klyngedata.exceptions import ReportDataError
        from klyngedata.keyfigures import to_period

        want = None
        if self.period not in ("latest", "all"):
            try:
                want = to_period(self.period)
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
            from klyngedata.dst.parse import format_period

            ordered = sorted(have, key=lambda p: p.start_time)
            raise ReportDataError(
                f"{self.cluster.id}: period {self.period} is not in the population data (it has "
                f"{format_period(ordered[0])}..{format_period(ordered[-1])}), so the report is not written")

    def header(self) -> Any:
        """Unit facts (region, member municipalities, hospitals, division, predecessors or successors, age of the
        data, unconfirmed membership) and, for a unit of an ended or not yet started division, a Danish note
        saying so; records the index data. In a report batch (``$KLYNGEDATA_REPORT``, set by the runner) it
        checks first that the report has data to stand on (:meth:`check_data`; raises otherwise), so that a
        batch never writes a report without its data; interactively the sections say what is missing."""
        from klyngedata.reports.html import in_report_mode

        if in_report_mode():
            self.check_data()
        from IPython.display import HTML

        from klyngedata.figures import period_label
        from klyngedata.reports.transition import neighbours_da, status_da
        from klyngedata.vocabulary import division_text_da

        c = self.cluster
        period = self.resolved_period()
        unconfirmed = not _confirmed(c)
        record(cluster_id=c.id, cluster_name=c.name, region_name=c.region_name, division=self.division,
               period=period, unconfirmed=unconfirmed)
        when = "ingen befolkningstal"
        if period:
            from klyngedata.keyfigures import to_period

            age = data_age_da(to_period(period).start_time.date().isoformat(), self.started_at)
            when = period_label(period) + (f" ({age} før rapporten blev dannet)" if age else "")
        facts = [
            ("Region", c.region_name),
            ("Medlemskommuner", ", ".join(c.municipality_names)),
            (self.fill("{Akuthospital}"), self._hospitals_text()),
            ("Inddeling", division_text_da(self.division)),
            *neighbours_da(c),
            ("Tallene er fra", when),
        ]
        if unconfirmed:
            facts.append(("Medlemskab", f"Ikke bekræftet af en officiel kilde fra {_division_start(self.division)}; "
                                        "sammensætningen bygger på ældre eller sekundære kilder"))
        rows = "".join(f"<tr><th>{blocks.esc(k)}</th><td>{blocks.esc(v)}</td></tr>" for k, v in facts)
        notes = ""
        status = status_da(c)
        if status:
            notes += blocks.note_da(status, title="Bemærk").data
        if c.has_split:
            notes += blocks.note_da(self._split_explanation(), title="Delt kommune").data
        table = f'<table class="kd-table">{rows}</table>'
        return HTML(f"{blocks.style().data}<h2>{blocks.esc(c.name)}</h2>{table}{notes}")

    def _hospitals_text(self) -> str:
        """The unit's acute hospital(s); an inferred assignment is said to be inferred (never shown as fact)."""
        from klyngedata import registry

        c = self.cluster
        if not len(c.hospitals):
            return "ikke registreret"
        names = ", ".join(map(str, c.hospitals["name"]))
        if registry.hospitals_inferred(c):
            return names + self.fill(" (udledt af de sundhedsklynger, {klyngen} overtager; ikke bekræftet)")
        return names

    def tiles(self) -> Any:
        """Key-figure tiles for the cluster (or the Danish reason why the cluster's figures are missing)."""
        kf, note = self._cluster_keyfigures()
        return note if note is not None else blocks.keyfigure_tiles(kf, TILE_FIGURES)

    def _cluster_keyfigures(self) -> tuple[pd.DataFrame | None, Any]:
        """The key figures, or a Danish note why the cluster has none (no data, or a split not allocable)."""
        try:
            kf = self.keyfigures()
        except (DataNotAvailable, ImportError) as exc:
            return None, _unavailable("Nøgletallene", exc)
        if not (kf["entity_level"].astype(str) == "cluster").any():
            return kf, self._cluster_missing_note(kf)
        return kf, None

    def _cluster_missing_note(self, kf: pd.DataFrame) -> Any:
        if self._split_codes():  # explained once, in the header
            return blocks.note_da(self.fill("{Klyngens} samlede tal kan ikke opgøres (se forklaringen øverst). "
                                            "Medlemskommunernes tal står længere nede."))
        text = " ".join(missing_sentences(kf.attrs.get("missing", []), names=self._member_names()))
        return blocks.note_da(text or self.fill("{Klyngens} samlede nøgletal kan ikke beregnes med de data, "
                                                "rapporten bygger på."))

    def _member_names(self) -> dict[str, str]:
        return dict(zip(self.cluster.municipality_codes, self.cluster.municipality_names, strict=False))

    def _split_explanation(self) -> str:
        """The one explanation of a split municipality (shown once, in the header)."""
        names = self._member_names()
        split = [names.get(c, c) for c in self._split_codes()]
        who = " og ".join(split) or "En medlemskommune"
        return (f"{who} er delt mellem flere " + self.fill(
            "{klynger} efter bydel. Befolkningstal for bydelene findes ikke blandt de data, rapporten bygger på, "
            "så {klyngens} samlede tal opgøres ikke – de ville mangle en del af kommunen eller medregne en del, "
            "der hører til {en} {anden} {klynge}.") + f" Tal for {who} gælder derfor hele "
                "kommunen og vises for sig (mærket »hele kommunen«); de er ikke fordelt skønsmæssigt.")

    def _split_label(self, code: str, name: str) -> str:
        return f"{name} (hele kommunen)" if code in self._split_codes() else name

    def _split_codes(self) -> list[str]:
        """Member municipalities split between clusters (allocation other than whole)."""
        m = self.cluster.members
        if m is None or len(m) == 0 or "allocation" not in m.columns:
            return []
        return sorted(set(m.loc[m["allocation"].astype(str) != "whole", "municipality_code"].astype(str)))

    def _cluster_rows(self) -> tuple[pd.DataFrame, str]:
        """The cluster's population rows; for a split cluster the allocated part is renamed and the
        unallocated population of the split municipality is added as its own line (never guessed)."""
        rows = self._entity_rows("cluster", self.cluster.id).copy()
        split = self._split_codes()
        if not split:
            return rows, self.cluster.name
        frame = self.population("cluster")
        unalloc = frame[frame["entity_id"].astype(str).isin([f"{c}:ikke-fordelt" for c in split])]
        names = ", ".join(self.cluster.municipality_names[self.cluster.municipality_codes.index(c)]
                          for c in split if c in self.cluster.municipality_codes)
        label = f"{self.cluster.name} uden {names}"
        rows["entity_name"] = label
        out = pd.concat([rows, unalloc], ignore_index=True)
        out.attrs.update(frame.attrs)
        return out, label

    def trend(self) -> Any:
        """Population trend of the cluster (plotly); a split municipality's unallocated part is its own line."""
        from klyngedata import figures

        try:
            rows, label = self._cluster_rows()
            title = f"Befolkningsudvikling i {self.cluster.name}"
            if label != self.cluster.name:
                title += " (den delte kommune vises for sig)"
            return figures.population_trend(rows, title=title)
        except (DataNotAvailable, ImportError) as exc:
            return _unavailable("Befolkningsudviklingen", exc)

    def comparison(self) -> Any:
        """The cluster's development indexed against its region and Denmark (plotly)."""
        from klyngedata import figures

        try:
            frame = pd.concat([
                self._cluster_rows()[0],
                self._entity_rows("region", self.cluster.region_code),
                self._entity_rows("country", "DK"),
            ], ignore_index=True)
            frame.attrs.update(self.population("cluster").attrs)
            return figures.indexed_trend(frame, title=f"{self.cluster.name} sammenlignet med regionen og hele landet")
        except (DataNotAvailable, ImportError) as exc:
            return _unavailable("Sammenligningen med region og hele landet", exc)

    def members_figure(self) -> Any:
        """Member municipalities side by side: population in the report period (plotly)."""
        from klyngedata import figures

        if len(self.cluster.municipality_codes) == 1:
            return blocks.caption_da(self.fill("{Klyngen} består af én kommune, ") +
                                     f"{self.cluster.municipality_names[0]}; " +
                                     self.fill("{klyngens} tal ovenfor er kommunens."))
        try:
            frame = self.population("municipality")
            rows = frame[frame["entity_id"].astype(str).isin(self.cluster.municipality_codes)]
            rows = figures._totals(rows)
            if rows.empty:
                raise DataNotAvailable("no municipality rows")
            latest = rows[rows["period"] == max(rows["period"])].copy()
            latest["entity_name"] = [self._split_label(str(c), str(n))
                                     for c, n in zip(latest["entity_id"], latest["entity_name"], strict=True)]
            latest.attrs.update(frame.attrs)
            return figures.member_comparison(
                latest, value_col="population",
                title=f"Befolkning i medlemskommunerne, {figures.period_label(max(rows['period']))}",
            )
        except (DataNotAvailable, ImportError) as exc:
            return _unavailable("Sammenligningen af medlemskommunerne", exc)

    def member_table(self) -> Any:
        """Key figures of the member municipalities side by side (table)."""
        try:
            kf = self.keyfigures()
            if self._split_codes():
                kf = kf.copy()
                kf["entity_name"] = [self._split_label(str(c), str(n)) if lv == "municipality" else n for c, n, lv
                                     in zip(kf["entity_id"], kf["entity_name"], kf["entity_level"], strict=True)]
            return blocks.member_table(kf, MEMBER_FIGURES)
        except (DataNotAvailable, ImportError) as exc:
            return _unavailable("Nøgletallene for medlemskommunerne", exc)

    def age_pyramid(self) -> Any:
        """Age pyramid of the cluster (needs population by sex and age)."""
        from klyngedata import figures

        try:
            from klyngedata.keyfigures import age_pyramid

            data = age_pyramid(self.cluster.id, period=self.period, division=self.division, data_dir=self.data_dir,
                               level="cluster")
            return figures.age_pyramid(data, value_col="share_pct", title=f"Alderspyramide, {self.cluster.name}")
        except (DataNotAvailable, ImportError) as exc:
            print(f"klyngedata: age pyramid: needs FOLK1A by sex and age; {_HOW_TO_GET}", file=sys.stderr)
            return _note(
                self.fill("Alderspyramiden kræver befolkningstal fordelt på køn og alder for {klyngens} kommuner "
                          "(Danmarks Statistik, tabel FOLK1A), og de findes ikke blandt de data, rapporten bygger på."),
                exc)

    def projection(self) -> Any:
        """Projected number of citizens aged 65+ and 80+ (needs a municipal population projection)."""
        from klyngedata import figures

        try:
            from klyngedata.population import population

            # age_groups alone gives the age breakdown (population() rejects by=("age",) together with it)
            proj = population(level="cluster", division=self.division, period="all",
                              age_groups=[0, 65, 80], kind="projection", data_dir=self.data_dir)
            rows = proj[proj["entity_id"].astype(str) == self.cluster.id].copy()
            if rows.empty:
                raise DataNotAvailable("no projection rows for the cluster")
            rows["age_group"] = rows["age_group"].astype(str).map(_age_group_label)
            grouped = _projection_groups(rows)
            grouped.attrs.update(proj.attrs)
            return figures.projection_65_80(grouped, title=f"Fremskrivning af 65+ og 80+-årige, {self.cluster.name}")
        except (DataNotAvailable, ImportError, KeyError) as exc:
            print(f"klyngedata: projection: needs the FRKM projection; {_HOW_TO_GET}", file=sys.stderr)
            return _note(
                "Fremskrivningen af antallet af 65+ og 80+-årige kræver Danmarks Statistiks kommunale "
                "befolkningsfremskrivning, som ikke findes blandt de data, rapporten bygger på.", exc)

    def map(self) -> Any:
        """Map of the cluster's catchment area with its hospital(s), against its region (with its source)."""
        try:
            from klyngedata.geo.maps import cluster_map

            fig = cluster_map(division=self.division, highlight=self.cluster.id, region=self.cluster.region_code,
                              data_dir=self.data_dir)
        except (KlyngedataError, ImportError) as exc:
            print("klyngedata: map: import the DAGI municipality boundaries with `klyngedata data import PATH`",
                  file=sys.stderr)
            return _note("Kortet kan ikke vises, fordi kommunegrænserne ikke findes blandt de data, rapporten "
                         "bygger på.", exc)
        if not any("Kilde" in str(a.text) for a in fig.layout.annotations or ()):
            fig.add_annotation(text=self._map_source(), showarrow=False, xref="paper", yref="paper", x=0.0, y=0.0,
                               yshift=-8, xanchor="left", yanchor="top", font={"size": 10, "color": "#57606a"})
            margin = fig.layout.margin
            fig.update_layout(margin={"b": max(int(margin.b or 0), 40)})
        return fig

    def _map_source(self) -> str:
        from klyngedata.cache import Cache

        meta = None
        try:
            meta = Cache(self.data_dir).meta("boundaries/kommune")
        except Exception as exc:  # noqa: BLE001 - the caption must not break the map
            _technical(exc)
        hospitals = self.fill("akutsygehuse og {sundhedsklynger}: klyngedatas register")
        if not meta:
            return f"Kilde: fliskort med én flise pr. kommune (kommunegrænserne findes ikke i data); {hospitals}"
        from klyngedata.formatting import date_da

        file = str(meta.get("file") or meta.get("source") or "")
        if file:
            print(f"klyngedata: map boundaries: boundaries/kommune from {file}", file=sys.stderr)
        how, when = ("hentet", meta.get("fetched_at")) if meta.get("fetched_at") else (
            "importeret", meta.get("imported_at") or meta.get("written_at"))
        self._boundaries_source = (f"Kommunegrænser: Klimadatastyrelsen, Danmarks Administrative Geografiske "
                                   f"Inddeling (DAGI), {how} {date_da(when)}")
        return f"Kilde: kommunegrænser fra Klimadatastyrelsen (DAGI), {how} {date_da(when)}; {hospitals}"

    def keyfigure_table(self) -> Any:
        """The cluster's key figures with region and Denmark alongside (table)."""
        kf, note = self._cluster_keyfigures()
        return note if note is not None else blocks.keyfigure_table(kf, level="cluster")

    def comparison_chart(self) -> Any:
        """Grouped bars: growth (and age shares, when available) of the cluster vs region and Denmark."""
        from klyngedata import figures

        try:
            kf = self.keyfigures()
            cl = kf[kf["entity_level"].astype(str) == "cluster"]
            if cl.empty and self._split_codes():
                return blocks.note_da(self.fill("{Klyngen} kan ikke sammenlignes med regionen og hele landet, "
                                                "fordi {klyngens} samlede tal ikke kan opgøres (se forklaringen "
                                                "øverst)."))
            ids = [f for f in SHARE_FIGURES if f in set(cl["figure_id"])] or \
                  [f for f in GROWTH_PCT_FIGURES if f in set(cl["figure_id"])]
            if not ids:
                raise DataNotAvailable("no comparable figures")
            title = "Aldersfordeling" if ids[0].startswith("share") else "Befolkningsudvikling i procent"
            return figures.comparison_bars(cl, ids, title=self.fill(f"{title}: {{klyngen}}, regionen og hele landet"))
        except (DataNotAvailable, ImportError) as exc:
            return _unavailable("Sammenligningen", exc)

    def summary(self) -> Any:
        """Short Danish text generated from the key figures and health indicators (what grew, what stands out)."""
        from klyngedata.reports.text import summary_da

        try:
            kf = self.keyfigures()
        except (DataNotAvailable, ImportError) as exc:
            return _unavailable("Sammenfatningen", exc)
        try:
            ind = self.indicators()
            ind = ind[ind["entity_level"].astype(str) == "cluster"] if "entity_level" in ind.columns else ind
            combined = pd.concat([kf, ind], ignore_index=True)
            combined.attrs.update(kf.attrs)
        except (KlyngedataError, ImportError) as exc:
            _technical(exc)
            combined = kf
        return blocks.bullet_list(summary_da(combined, split_members=self._split_codes(), words=self.words))

    def missing(self) -> Any:
        """Which key figures are left out and why (Danish)."""
        try:
            miss = self.keyfigures().attrs.get("missing") or []
        except (DataNotAvailable, ImportError) as exc:
            return _unavailable("Listen over manglende nøgletal", exc)
        if not miss:
            return blocks.caption_da("Alle nøgletal kunne beregnes.")
        sentences = missing_sentences(miss, names=self._member_names())
        if not sentences:  # the cluster has all; only comparison rows miss something
            sentences = missing_sentences(miss, names=self._member_names(), level="municipality")
        if self._split_codes():
            sentences = [t for t in sentences if "delt mellem" not in t] + [
                self.fill("{Klyngens} samlede tal indgår ikke, fordi en medlemskommune er delt (se forklaringen "
                          "øverst).")]
        return blocks.bullet_list(sentences or [self.fill("Alle nøgletal for {klyngen} kunne beregnes.")])

    def indicator_table(self) -> Any:
        """Health indicators of the cluster with region and Denmark (table)."""
        try:
            ind = self.indicators()
            cl = ind[ind["entity_level"].astype(str) == "cluster"] if "entity_level" in ind.columns else ind
            if self._split_codes() and pd.to_numeric(cl["value"], errors="coerce").isna().all():
                return blocks.note_da(self.fill("Sundhedsindikatorerne kan ikke opgøres for {klyngen} som helhed, "
                                                "fordi en medlemskommune er delt (se forklaringen øverst)."))
            return blocks.keyfigure_table(ind, level="cluster")
        except (KlyngedataError, ImportError) as exc:
            return _note("Sundhedsindikatorerne kan ikke vises, fordi indikatordata ikke er tilgængelige. "
                         "Importér indikatorfiler med 'klyngedata data import STI'.", exc)

    def spine_chart(self) -> Any:
        """Barometer: the cluster's figures against the spread of all units of the division and Denmark."""
        from klyngedata import spine

        try:
            table = self._division_table()
            fig = spine.spine_chart(table, self.cluster.id, unit_name=self.cluster.name,
                                    spread_name=self._spread_name(), source_da=_sources_text(table))
            data = spine.spine_data(table, self.cluster.id)
        except (DataNotAvailable, ImportError) as exc:
            return _unavailable("Barometeret", exc)
        return with_download(fig, _spine_csv(data, self.cluster.name), f"barometer-{self.cluster.id}.csv")

    def peers(self, n: int = PEER_COUNT) -> Any:
        """The cluster beside its most similar units of the division (:func:`klyngedata.peers.peers`)."""
        from IPython.display import HTML

        from klyngedata.peers import peers

        try:
            near = peers(self.cluster.id, n=n, division=self.division, data_dir=self.data_dir,
                         features=self._batch_table("peer_features", self.division))
            table = self._division_table()
        except (KlyngedataError, ImportError) as exc:
            return _note("De mest sammenlignelige enheder kan ikke findes, fordi de nødvendige befolkningstal ikke "
                         "er tilgængelige for enheden.", exc)
        names = _short_names(self.division)
        ids = [self.cluster.id, *near["unit_id"]]
        names[self.cluster.id] = self.cluster.name
        frame = _peer_frame(table, ids, names)
        text = blocks.frame_table(frame, {c: c for c in frame.columns}).data
        caption = near.attrs.get("method_da", "")
        excluded = near.attrs.get("excluded") or {}
        if excluded:
            caption += " Ikke med: " + "; ".join(f"{_name_of(u)} ({r.rstrip('.')})" for u, r in excluded.items())
            caption += "."
        link = download_link(frame, f"sammenlignelige-{self.cluster.id}.csv")
        return HTML(text + blocks.caption_da(caption).data + link)

    def governance(self) -> Any:
        """The unit's organisation: a council's composition (regional members, municipal seats per member
        municipality, chair rule, sources), or a cluster's governance levels and seats from the commissions."""
        from IPython.display import HTML

        from klyngedata.reports.governance import governance_html

        return HTML(governance_html(self.cluster))

    def transition(self) -> Any:
        """"Fra sundhedsklynger til sundhedsråd": the clusters a council takes over (or a cluster's successor
        councils), with the residents they share and the shares of each unit."""
        from IPython.display import HTML

        from klyngedata.reports.transition import section

        try:
            return HTML(section(self.cluster, self.resolved_period() or self.period, self.data_dir))
        except (DataNotAvailable, ImportError) as exc:
            return _unavailable("Befolkningstallene for overgangen mellem inddelingerne", exc)

    def footer(self, notebook: str = "") -> Any:
        """Sources as Danish provenance (publisher, table and title, periods, when fetched or imported, the
        commissions); the data details an analyst needs (cache entries, files read) go to the run log and the
        manifest instead (recorded as ``data_notes``)."""
        import klyngedata
        from klyngedata.figures import provenance_text, readable_source
        from klyngedata.formatting import date_da, datetime_da
        from klyngedata.reports.reader import danish_periods

        notes = AnalystNotes()
        stamps: dict[str, str] = {}
        try:
            from klyngedata.cache import Cache

            for _, e in Cache(self.data_dir).entries().iterrows():
                when = e.get("fetched_at") if _given(e.get("fetched_at")) else e.get("written_at")
                src = e.get("source") if _given(e.get("source")) else ""
                notes.add(f"data: {e.get('key')} ({src}), periods {e.get('periods')}, fetched/imported {when}")
                if _given(e.get("table")) and _given(when):
                    how = "hentet" if str(src).startswith("http") else "importeret"
                    stamps.setdefault(str(e.get("table")), f"{how} {date_da(when)}")
        except Exception as exc:  # noqa: BLE001 - the footer must not break a report
            _technical(exc)
        lines: list[str] = []
        for key, frame in self._frames.items():
            if not isinstance(frame, pd.DataFrame):
                continue
            if key == "indicators":
                shown = frame[frame["entity_level"].astype(str) == "cluster"] if "entity_level" in frame else frame
                for text in dict.fromkeys(map(str, shown.get("provenance", pd.Series(dtype=str)).dropna())):
                    notes.add(f"indicator source: {text}")
                    lines.append("Sundhedsindikator: " + danish_periods(readable_source(text)))
                continue
            text = provenance_text(frame, prefix="Befolkningstal")
            for item in frame.attrs.get("provenance") or []:
                table = item.get("table") if isinstance(item, dict) else None
                if table and table in stamps and "hentet" not in text and "importeret" not in text:
                    text += f", {stamps[table]}"
                if isinstance(item, dict) and item.get("file"):
                    notes.add(f"{table}: read from {item['file']}")
            if text and text not in lines:
                lines.append(text)
        lines.append(self._registry_source_line())
        if getattr(self, "_boundaries_source", None):
            lines.append(self._boundaries_source)
        lines.append(f"Dannet {datetime_da(self.started_at)} med klyngedata {klyngedata.__version__}.")
        record(data_notes=notes.items)
        return blocks.footer(lines)

    def _registry_source_line(self) -> str:
        from klyngedata import registry
        from klyngedata.reports.reader import membership_source

        c = self.cluster
        print(f"klyngedata: registry source of {c.id}: {c.source}", file=sys.stderr)
        try:
            commissions = [reader_source(t) for t in registry.levels(c)["source"]]
        except KlyngedataError:
            commissions = []
        text = membership_source(c.source, confirmed=_confirmed(c), commissions=commissions,
                                 since=_division_start(self.division))
        return self.fill("{Klyngens} sammensætning: ") + text


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
    text = label.replace(" år og derover", "+").replace(" ", "")
    return text


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
        "Laveste blandt enhederne": data["min"], "25 %-fraktil": data["q25"], "75 %-fraktil": data["q75"],
        "Højeste blandt enhederne": data["max"], "Antal enheder med tal": data["n_units"],
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
    for fid in dict.fromkeys(table["figure_id"]):
        part = table[table["figure_id"] == fid].set_index("entity_id")
        first = part.iloc[0]
        unit = str(first.get("unit", ""))
        rec = {"Nøgletal": str(first["label_da"]) + (f" ({unit})" if unit and unit not in str(first["label_da"])
                                                     else "")}
        dec = blocks._decimals(fid, unit)
        for u in ids:
            r = part.loc[u] if u in part.index else None
            rec[names[u]] = "–" if r is None else blocks.value_text(r["value"], unit, dec, r.get("display"),
                                                                     r.get("suppressed", False))
        rec["Hele landet"] = blocks.value_text(first.get("country_value"), unit, dec)
        rows.append(rec)
    return pd.DataFrame(rows)
