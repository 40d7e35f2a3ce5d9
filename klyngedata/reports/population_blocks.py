"""The population blocks of a report: key-figure tiles, trend, comparison with region and Denmark, member
municipalities, age pyramid, projection and the map of the catchment area (see :mod:`klyngedata.reports
.block_base` for how a block that has nothing to show is left out)."""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd

from klyngedata.exceptions import DataNotAvailable, KlyngedataError
from klyngedata.reports import blocks
from klyngedata.reports.block_base import BlockBase, block
from klyngedata.reports.unit_data import (
    _HOW_TO_GET,
    TILE_FIGURES,
    _age_group_label,
    _note,
    _projection_groups,
    _technical,
    _unavailable,
)
from klyngedata.vocabulary import period_text_da

log = logging.getLogger(__name__)


class PopulationBlocks(BlockBase):
    """Population blocks of :class:`klyngedata.reports.sections.Sections`."""

    @block
    def tiles(self) -> Any:
        """Key-figure tiles for the unit; nothing for a unit without totals (a split member: the header says
        why), or the Danish reason why the figures are missing."""
        kf, note = self._cluster_keyfigures()
        if note is None:
            return blocks.keyfigure_tiles(kf, TILE_FIGURES)
        return None if self._split_codes() else note

    def _split_explanation(self) -> str:
        """The one explanation of a split municipality (shown once, in the header): which parts belong to the
        unit, why its totals are not shown, and that the whole municipality's figures are shown instead."""
        from klyngedata.registry import official_name

        names = self._member_names()
        split = [official_name(c, names.get(c, c)) for c in self._split_codes()]
        who = " og ".join(split) or "En medlemskommune"
        text = f"{who} er delt mellem flere " + self.fill(
            "{klynger} efter bydel (bydelene står ovenfor), og befolkningstal for bydelene findes ikke blandt de data, "
            "rapporten bygger på. {Klyngens} samlede tal opgøres derfor ikke – de ville mangle en del af kommunen "
            "eller medregne en del, der hører til {en} {anden} {klynge} – så {klyngens} samlede nøgletal, barometer "
            "og sammenlignelige {klynger} vises ikke. ")
        return text + f"Tal for {who} gælder hele kommunen (mærket »hele kommunen«); intet er fordelt skønsmæssigt."

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

    def _benchmark_note(self) -> str | None:
        """The Danish note when the region or Denmark was summed without Christiansø (else None)."""
        try:
            return self.keyfigures().attrs.get("benchmark_note_da")
        except (KlyngedataError, ImportError):  # (the sections say what is missing)
            return None

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
        from klyngedata.reports.unit_data import MEMBER_FIGURES

        try:
            kf = self.keyfigures()
            if self._split_codes():
                kf = kf.copy()
                kf["entity_name"] = [self._split_label(str(c), str(n)) if lv == "municipality" else n for c, n, lv
                                     in zip(kf["entity_id"], kf["entity_name"], kf["entity_level"], strict=True)]
            return blocks.member_table(kf, MEMBER_FIGURES)
        except (DataNotAvailable, ImportError) as exc:
            return _unavailable("Nøgletallene for medlemskommunerne", exc)

    @block
    def age_pyramid(self) -> Any:
        """Age pyramid of the cluster (needs population by sex and age); not drawn without them."""
        from klyngedata import figures

        try:
            from klyngedata.keyfigures import age_pyramid

            data = age_pyramid(self.cluster.id, period=self.period, division=self.division, data_dir=self.data_dir,
                               level="cluster")
            return figures.age_pyramid(data, value_col="share_pct", title=f"Alderspyramide, {self.cluster.name}")
        except (DataNotAvailable, ImportError) as exc:
            _technical(exc)
            log.info(f"age pyramid: needs FOLK1A by sex and age; {_HOW_TO_GET}")
            return self.omit("age_pyramid", "Alderspyramiden vises ikke, fordi befolkningstallene, rapporten bygger "
                                            "på, ikke er fordelt på køn og alder.")

    @block
    def projection(self) -> Any:
        """Projected number of citizens aged 65+ and 80+ (needs a municipal population projection); not drawn
        without one."""
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
            _technical(exc)
            log.info(f"projection: needs the FRKM projection; {_HOW_TO_GET}")
            return self.omit("projection", "Fremskrivningen af antallet af 65+ og 80+-årige vises ikke, fordi "
                                           "Danmarks Statistiks kommunale befolkningsfremskrivning ikke er blandt "
                                           "de data, rapporten bygger på.")

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
            text = _wrap_html(self._map_source(), 125)
            fig.add_annotation(text=text, showarrow=False, xref="paper", yref="paper", x=0.0, y=0.0, yshift=-8,
                               xanchor="left", yanchor="top", align="left", font={"size": 9, "color": "#57606a"})
            margin = fig.layout.margin
            fig.update_layout(margin={"b": max(int(margin.b or 0), 20 + 13 * (text.count("<br>") + 1))})
        return fig

    def _map_source(self) -> str:
        """The map's source line (boundaries with their vintage, hospitals); the footer gets the long form."""
        from klyngedata.cache import Cache
        from klyngedata.geo.vintages import vintage_da

        meta = None
        try:
            meta = Cache(self.data_dir).meta("boundaries/kommune")
        except Exception as exc:  # noqa: BLE001 - the caption must not break the map
            _technical(exc)
        hospitals = self.fill("akutsygehuse og {sundhedsklynger}: registret bag rapporten")
        if not meta:
            return f"Kilde: fliskort med én flise pr. kommune (kommunegrænserne findes ikke i data); {hospitals}"
        file = str(meta.get("file") or meta.get("source") or "")
        if file:
            log.info(f"map boundaries: boundaries/kommune from {file}")
        vintage = vintage_da(meta)
        self._boundaries_source = f"Kommunegrænser: Danmarks Administrative Geografiske Inddeling (DAGI), {vintage}"
        return f"Kilde: kommunegrænser fra DAGI, {vintage}; {hospitals}"


def _wrap_html(text: str, width: int) -> str:
    """``text`` in lines of at most ``width`` characters joined by ``<br>`` (a chart annotation does not wrap).

    Example
    -------
    >>> _wrap_html("a b c", 3)
    'a b<br>c'
    """
    import textwrap

    return "<br>".join(textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False))
