"""The blocks a report shows, one method each (header, tiles, trend, comparison, maps, tables, summary,
barometer, peers, governance, transition, footer), on top of :class:`~klyngedata.reports.unit_data.UnitData`."""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd

from klyngedata.exceptions import DataNotAvailable, KlyngedataError
from klyngedata.health_defs import HEALTH_FIGURES
from klyngedata.reports import blocks
from klyngedata.reports.download import download_link, with_download
from klyngedata.reports.html import record
from klyngedata.reports.reader import AnalystNotes, data_age_da, missing_sentences, reader_source
from klyngedata.reports.unit_data import (
    _HOW_TO_GET,
    GROWTH_PCT_FIGURES,
    MEMBER_FIGURES,
    PEER_COUNT,
    SHARE_FIGURES,
    TILE_FIGURES,
    UnitData,
    _age_group_label,
    _confirmed,
    _division_start,
    _given,
    _name_of,
    _note,
    _peer_frame,
    _projection_groups,
    _short_names,
    _sources_text,
    _spine_csv,
    _technical,
    _unavailable,
)
from klyngedata.vocabulary import period_text_da

log = logging.getLogger(__name__)


#: The footer's words for a frame's sources, by its key in ``_frames`` (default: "Befolkningstal").
SOURCE_PREFIX_DA = {"mortality_deaths": "Dødsfald", "mortality_population": "Befolkning efter køn og alder"}

class Sections(UnitData):
    """The display blocks of :class:`klyngedata.reports.context.ClusterReport` (see there)."""

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

        from klyngedata.registry.words import division_text_da
        from klyngedata.reports.transition import neighbours_da, status_da

        c = self.cluster
        period = self.resolved_period()
        unconfirmed = not _confirmed(c)
        record(cluster_id=c.id, cluster_name=c.name, region_name=c.region_name, division=self.division,
               period=period, unconfirmed=unconfirmed)
        when = "ingen befolkningstal"
        if period:
            from klyngedata.vocabulary import parse_period

            age = data_age_da(parse_period(period).start_time.date().isoformat(), self.started_at)
            when = period_text_da(period, stock=True) + (f" ({age} før rapporten blev dannet)" if age else "")
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
        benchmark = self._benchmark_note()
        if benchmark:
            notes += blocks.note_da(benchmark, title="Sammenligningstal uden Christiansø").data
        table = f'<table class="kd-table">{rows}</table>'
        return HTML(f"{blocks.style().data}<h2>{blocks.esc(c.name)}</h2>{table}{notes}")

    def _benchmark_note(self) -> str | None:
        """The Danish note when the region or Denmark was summed without Christiansø (else None)."""
        try:
            return self.keyfigures().attrs.get("benchmark_note_da")
        except (KlyngedataError, ImportError):  # (the sections say what is missing)
            return None

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
            frame = pd.concat([self._cluster_rows()[0], *self._benchmark_rows()], ignore_index=True)
            frame.attrs.update(self.population("cluster").attrs)
            return figures.indexed_trend(frame, title=f"{self.cluster.name} sammenlignet med regionen og hele landet")
        except (DataNotAvailable, ImportError) as exc:
            return _unavailable("Sammenligningen med region og hele landet", exc)

    def _benchmark_rows(self) -> list[pd.DataFrame]:
        """The population rows of the unit's region and Denmark; where the data lack Christiansø (the key
        figures' benchmarks are then "... (uden Christiansø)"), the same sums of all their municipalities,
        named so, instead of rows without figures."""
        rows = [self._entity_rows("region", self.cluster.region_code), self._entity_rows("country", "DK")]
        if self._benchmark_note() is None:
            return rows
        from klyngedata.keyfigures.pooling import comparison_frame

        f = comparison_frame(self.cluster.id, self.population("municipality"), division=self.division)
        f = f[(f["sex"].astype(str) == "total") & f["age_total"].astype(bool)
              & f["entity_name"].astype(str).str.endswith("(uden Christiansø)")]
        out = []
        for level, own in zip(("region", "country"), rows, strict=True):
            summed = f[f["level"] == level]
            use = len(summed) and pd.to_numeric(own["population"], errors="coerce").isna().all()
            out.append(summed[["level", "entity_id", "entity_name", "period", "sex", "population"]] if use else own)
        return out

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
                title=f"Befolkning i medlemskommunerne, {period_text_da(max(rows['period']), stock=True)}",
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
            log.info("age pyramid: needs FOLK1A by sex and age; %s", _HOW_TO_GET)
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
            log.info("projection: needs the FRKM projection; %s", _HOW_TO_GET)
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
            log.info("map: import the DAGI municipality boundaries with `klyngedata data import PATH`")
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
            log.info("map boundaries: boundaries/kommune from %s", file)
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
            from klyngedata.indicators import headline_rows

            ind = headline_rows(self.indicators())  # one sentence per figure: both sexes, all ages
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
            ind = ind[~ind["figure_id"].isin(HEALTH_FIGURES)]  # the fetched ones have their own section (health)
            if ind.empty:
                raise DataNotAvailable("no indicator files imported")
            cl = ind[ind["entity_level"].astype(str) == "cluster"] if "entity_level" in ind.columns else ind
            if self._split_codes() and pd.to_numeric(cl["value"], errors="coerce").isna().all():
                return blocks.note_da(self.fill("Sundhedsindikatorerne kan ikke opgøres for {klyngen} som helhed, "
                                                "fordi en medlemskommune er delt (se forklaringen øverst)."))
            from klyngedata.indicators import headline_rows

            return blocks.keyfigure_table(headline_rows(ind), level="cluster")  # (a row per figure: no strata)
        except (KlyngedataError, ImportError) as exc:
            return _note("Sundhedsindikatorerne kan ikke vises, fordi indikatordata ikke er tilgængelige. "
                         "Importér indikatorfiler med 'klyngedata data import STI'.", exc)

    def mortality(self) -> Any:
        """"Dødelighed og middellevetid": life expectancy, standardised mortality and the members' published
        values (:mod:`klyngedata.reports.mortality_section`)."""
        from klyngedata.reports.mortality_section import section

        return section(self)

    def health(self) -> Any:
        """Health and elderly care from the fetched StatBank tables (:mod:`klyngedata.reports.health_section`)."""
        from klyngedata.reports.health_section import health_section

        return health_section(self)

    def spine_chart(self) -> Any:
        """Barometer: the cluster's figures against the spread of all units of the division and Denmark."""
        from klyngedata import spine

        try:
            table = self._division_table()
            data = spine.spine_data(table, self.cluster.id)
            fig = spine.spine_chart(table, self.cluster.id, unit_name=self.cluster.name,
                                    spread_name=self._spread_name(), source_da=_sources_text(table), data=data)
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
        from klyngedata.vocabulary import periods_in_text_da

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
                    lines.append("Sundhedsindikator: " + periods_in_text_da(readable_source(text)))
                continue
            text = provenance_text(frame, prefix=SOURCE_PREFIX_DA.get(key, "Befolkningstal"))
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
        log.info("registry source of %s: %s", c.id, c.source)
        try:
            commissions = [reader_source(t) for t in registry.levels(c)["source"]]
        except KlyngedataError:
            commissions = []
        text = membership_source(c.source, confirmed=_confirmed(c), commissions=commissions,
                                 since=_division_start(self.division))
        return self.fill("{Klyngens} sammensætning: ") + text
