"""The comparison blocks of the key-figure report: summary, the unit's key figures against its region and
Denmark, health indicators, the barometer, comparable units and the figures that cannot be computed (see
:mod:`klyngedata.reports.block_base` for how a block that has nothing to show is left out)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from klyngedata.exceptions import DataNotAvailable, KlyngedataError
from klyngedata.health_defs import HEALTH_FIGURES
from klyngedata.reports import blocks
from klyngedata.reports.block_base import BlockBase, block
from klyngedata.reports.download import download_link, with_download
from klyngedata.reports.reader import missing_sentences
from klyngedata.reports.unit_data import (
    GROWTH_PCT_FIGURES,
    PEER_COUNT,
    SHARE_FIGURES,
    _name_of,
    _note,
    _peer_frame,
    _short_names,
    _sources_text,
    _spine_csv,
    _technical,
    _unavailable,
)

PEER_FEATURES_DA = {"log_population": "størrelse", "growth_pct": "udvikling", "share_65_plus": "alder",
                    "share_80_plus": "alder", "group_mix": "kommunetyper"}
"""The peers' features in a reader's words (the method itself is in the appendix "Om tallene")."""


class ComparisonBlocks(BlockBase):
    """Comparison blocks of :class:`klyngedata.reports.sections.Sections`."""

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

    @block
    def keyfigure_table(self) -> Any:
        """The unit's key figures with region and Denmark alongside (nothing for a split unit: the header says
        why)."""
        kf, note = self._cluster_keyfigures()
        if note is None:
            return blocks.keyfigure_table(kf, level="cluster")
        return None if self._split_codes() else note

    @block
    def comparison_chart(self) -> Any:
        """Grouped bars: growth (and age shares, when available) of the unit vs region and Denmark."""
        from klyngedata import figures

        try:
            kf = self.keyfigures()
            cl = kf[kf["entity_level"].astype(str) == "cluster"]
            if cl.empty and self._split_codes():
                return None  # no totals: the header says why
            ids = [f for f in SHARE_FIGURES if f in set(cl["figure_id"])] or \
                  [f for f in GROWTH_PCT_FIGURES if f in set(cl["figure_id"])]
            if not ids:
                raise DataNotAvailable("no comparable figures")
            title = "Aldersfordeling" if ids[0].startswith("share") else "Befolkningsudvikling i procent"
            return figures.comparison_bars(cl, ids, title=self.fill(f"{title}: {{klyngen}}, regionen og hele landet"))
        except (DataNotAvailable, ImportError) as exc:
            return _unavailable("Sammenligningen", exc)

    def missing(self) -> Any:
        """Which key figures are left out and why (Danish), and the blocks above that were not drawn for want of
        data (said here, once, instead of in a note of their own: :meth:`not_shown`)."""
        omitted: dict[str, str] = self._derived.get("omitted", {})
        said: set[str] = self._derived.setdefault("omitted_said", set())
        left_out = [t for n, t in omitted.items() if n not in said]
        said.update(omitted)
        try:
            miss = self.keyfigures().attrs.get("missing") or []
        except (DataNotAvailable, ImportError) as exc:
            return _unavailable("Listen over manglende nøgletal", exc)
        if not miss:
            return blocks.bullet_list(left_out) if left_out else blocks.caption_da("Alle nøgletal kunne beregnes.")
        sentences = missing_sentences(miss, names=self._member_names())
        if not sentences:  # the cluster has all; only comparison rows miss something
            sentences = missing_sentences(miss, names=self._member_names(), level="municipality")
        if self._split_codes():
            sentences = [t for t in sentences if "delt mellem" not in t] + [
                self.fill("{Klyngens} samlede tal indgår ikke, fordi en medlemskommune er delt (se forklaringen "
                          "øverst).")]
        return blocks.bullet_list([*sentences, *left_out] or [self.fill("Alle nøgletal for {klyngen} kunne beregnes.")])

    @block
    def indicator_table(self) -> Any:
        """Health indicators of the unit with region and Denmark; for a unit without totals (a split member)
        the indicators of its whole member municipalities, labelled so."""
        try:
            ind = self.indicators()
            ind = ind[~ind["figure_id"].isin(HEALTH_FIGURES)]  # the fetched ones have their own section (health)
            if ind.empty:
                raise DataNotAvailable("no indicator files imported")
            cl = ind[ind["entity_level"].astype(str) == "cluster"] if "entity_level" in ind.columns else ind
            if self._split_codes() and pd.to_numeric(cl["value"], errors="coerce").isna().all():
                return self._member_indicator_table()
            from klyngedata.indicators import headline_rows

            return blocks.keyfigure_table(headline_rows(ind), level="cluster")  # (a row per figure: no strata)
        except (KlyngedataError, ImportError) as exc:
            return _note("Sundhedsindikatorerne kan ikke vises, fordi der ikke er indikatordata blandt de data, "
                         "rapporten bygger på.", exc)

    def _member_indicator_table(self) -> Any:
        """The health indicators of each member municipality (a split member as the whole municipality)."""
        from klyngedata.indicators import indicator_figures

        rows = indicator_figures(cluster=self.cluster.id, level="municipality", division=self.division,
                                 data_dir=self.data_dir)
        if "sex" in rows.columns:
            from klyngedata.indicators import headline_rows

            rows = headline_rows(rows)  # both sexes, all ages
        names = {c: self._split_label(c, n) for c, n in self._member_names().items()}
        table = blocks.members_indicator_table(rows, names)
        caption = blocks.caption_da(self.fill(
            "{Klyngens} samlede tal kan ikke opgøres (se forklaringen øverst). Tabellen viser hver medlemskommunes "
            "egne tal; for en delt kommune gælder de hele kommunen."))
        return type(table)(caption.data + table.data)

    @block
    def spine_chart(self) -> Any:
        """Barometer: the unit's figures against the spread of all units of the division and Denmark; nothing
        when the unit has no values (a split member: the header says why)."""
        from klyngedata import spine

        try:
            table = self._division_table()
            data = spine.spine_data(table, self.cluster.id)
            fig = spine.spine_chart(table, self.cluster.id, unit_name=self.cluster.name,
                                    spread_name=self._spread_name(), source_da=_sources_text(table), data=data)
        except (DataNotAvailable, ImportError) as exc:
            if self._split_codes():
                _technical(exc)
                return None
            return _unavailable("Barometeret", exc)
        return with_download(fig, _spine_csv(data, self.cluster.name), f"barometer-{self.cluster.id}.csv")

    @block
    def peers(self, n: int = PEER_COUNT) -> Any:
        """The unit beside its most similar units of the division (:func:`klyngedata.peers.peers`)."""
        from IPython.display import HTML

        from klyngedata.peers import peers

        try:
            near = peers(self.cluster.id, n=n, division=self.division, data_dir=self.data_dir,
                         features=self._batch_table("peer_features", self.division))
            table = self._division_table()
        except (KlyngedataError, ImportError) as exc:
            if self._split_codes():
                _technical(exc)
                return None
            return _note(self.fill("De mest sammenlignelige {klynger} kan ikke findes, fordi de nødvendige "
                                   "befolkningstal ikke findes blandt de data, rapporten bygger på."), exc)
        names = _short_names(self.division)
        ids = [self.cluster.id, *near["unit_id"]]
        names[self.cluster.id] = self.cluster.short_name or self.cluster.name
        frame = _peer_frame(table, ids, names)
        text = blocks.frame_table(frame, {c: c for c in frame.columns}, css="kd-fixed kd-peers").data
        used = list(dict.fromkeys(PEER_FEATURES_DA[f] for f in near.attrs.get("features", [])
                                  if f in PEER_FEATURES_DA))
        caption = (self.fill("Ligheden er målt på befolkningens ") + _join(used) + " (metoden står i »Om tallene«)."
                   if used else "")
        excluded = near.attrs.get("excluded") or {}
        if excluded:
            caption += " Ikke med: " + "; ".join(f"{_name_of(u)} ({r.rstrip('.')})" for u, r in excluded.items())
            caption += "."
        link = download_link(frame, f"sammenlignelige-{self.cluster.id}.csv")
        self._derived["peer_method_da"] = near.attrs.get("features_da", [])
        return HTML(text + blocks.caption_da(caption).data + link)


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " og " + items[-1] if items else ""
