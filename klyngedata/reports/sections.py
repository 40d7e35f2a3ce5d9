"""The blocks a report shows: the header, the unit's organisation, the transition between divisions, the sources
and the appendix "Om tallene" here; the population blocks (:mod:`klyngedata.reports.population_blocks`) and the
comparison blocks (:mod:`klyngedata.reports.comparison_blocks`) mixed in. :mod:`klyngedata.reports.block_base`
says how to add a section (a block that has nothing to show is not drawn, and its heading neither).
"""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd

from klyngedata.exceptions import DataNotAvailable, KlyngedataError
from klyngedata.reports import blocks
from klyngedata.reports.block_base import block
from klyngedata.reports.comparison_blocks import ComparisonBlocks
from klyngedata.reports.html import record
from klyngedata.reports.population_blocks import PopulationBlocks
from klyngedata.reports.reader import AnalystNotes, data_age_da, reader_source
from klyngedata.reports.unit_data import _given, _technical, _unavailable
from klyngedata.vocabulary import period_text_da

log = logging.getLogger(__name__)

#: The footer's words for a frame's sources, by its key in ``_frames`` (default: "Befolkningstal").
SOURCE_PREFIX_DA = {"mortality_deaths": "Dødsfald", "mortality_population": "Befolkning efter køn og alder"}


class Sections(ComparisonBlocks, PopulationBlocks):
    """The display blocks of :class:`klyngedata.reports.context.ClusterReport` (see there)."""

    def local(self) -> Any:
        """The secretariat's own facts about the unit (:mod:`klyngedata.local_facts`), read once; a file with an
        error stops the report with a message naming file, row and column."""
        if "local" not in self._derived:
            from klyngedata.local_facts import local_facts

            self._derived["local"] = local_facts(self.cluster.id, self.data_dir)
        return self._derived["local"]

    def header(self) -> Any:
        """Unit facts (region, member municipalities, hospitals, division, predecessors or successors, the parts
        of a split member, the age of the data) and, for a unit of an ended or not yet started division, a Danish
        note saying so; records the index data. In a report batch (``$KLYNGEDATA_REPORT``, set by the runner) it
        checks first that the report has data to stand on (:meth:`check_data`; raises otherwise), so that a
        batch never writes a report without its data; interactively the sections say what is missing."""
        from klyngedata.reports.html import in_report_mode

        if in_report_mode():
            self.check_data()
        from IPython.display import HTML

        from klyngedata.registry import official_name
        from klyngedata.registry.words import division_text_da
        from klyngedata.reports.transition import neighbours_da, status_da

        c = self.cluster
        period = self.resolved_period()
        record(cluster_id=c.id, cluster_name=c.name, region_name=c.region_name, division=self.division,
               period=period, unconfirmed=not _confirmed_all(c))
        when = "ingen befolkningstal"
        if period:
            from klyngedata.vocabulary import parse_period

            age = data_age_da(parse_period(period).start_time.date().isoformat(), self.started_at)
            when = period_text_da(period, stock=True) + (f" ({age} før rapporten blev dannet)" if age else "")
        members = [official_name(code, name) for code, name in zip(c.municipality_codes, c.municipality_names,
                                                                   strict=True)]
        facts = [("Region", c.region_name), ("Medlemskommuner", _join(members)),
                 (self.fill("{Akuthospital}"), self._hospitals_text())]
        for code, parts in self._split_units().items():
            facts.append((f"Del af {official_name(code, self._member_names().get(code, code))}",
                          "bydelene " + _join(sorted(parts))))
        facts += [("Inddeling", division_text_da(self.division)), *neighbours_da(c), ("Tallene er fra", when)]
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
        table = f'<table class="kd-table kd-facts">{rows}</table>'
        return HTML(f"{blocks.style().data}<h2>{blocks.esc(c.name)}</h2>{table}{notes}")

    def _hospitals_text(self) -> str:
        """The unit's acute hospital(s): the secretariat's when given (said so), else the registry's (whether
        inferred is said once, in the sources)."""
        given = self.local().all("akutsygehus")
        if given:
            return _join([f.value for f in given]) + " (oplyst af sekretariatet)"
        c = self.cluster
        return ", ".join(map(str, c.hospitals["name"])) if len(c.hospitals) else "ikke registreret"

    def governance(self) -> Any:
        """The unit's organisation: a council's composition (regional members, municipal seats per member
        municipality, chair, meetings; the secretariat's facts win), or a cluster's governance levels and seats
        from the commissions."""
        from IPython.display import HTML

        from klyngedata.reports.governance import governance_html

        return HTML(governance_html(self.cluster, self.local()))

    @block
    def mortality(self) -> Any:
        """"Dødelighed og middellevetid": life expectancy, standardised mortality and the members' published
        values (:mod:`klyngedata.reports.mortality_section`); nothing drawn without deaths and population by age
        (the reason is said once, :meth:`not_shown`)."""
        from klyngedata.reports.mortality_section import UNAVAILABLE_DA, section

        shown = section(self)
        if shown.data == blocks.note_da(UNAVAILABLE_DA).data:
            return self.omit("mortality", UNAVAILABLE_DA)
        return shown

    @block
    def health(self) -> Any:
        """Health and elderly care from the fetched StatBank tables (:mod:`klyngedata.reports.health_section`);
        nothing drawn, heading included, when the tables are not fetched (the reason is said once)."""
        from klyngedata.reports.health_section import _NOT_FETCHED_DA, health_section

        shown = health_section(self)
        if shown.data == blocks.note_da(_NOT_FETCHED_DA).data:
            return self.omit("health", "Sundhed og ældre vises ikke: tallene fra Danmarks Statistik er ikke hentet "
                                       "til de data, rapporten bygger på.")
        return shown

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
        """Sources as Danish provenance (publisher, table and title, periods, when fetched or imported; the unit's
        composition once with its source and date; what is unconfirmed, once; the boundaries with their vintage;
        the laws); the data details an analyst needs (cache entries, files read) go to the run log and the
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
        lines += self._registry_source_lines()
        if getattr(self, "_boundaries_source", None):
            lines.append(self._boundaries_source)
        lines.append(f"Dannet {datetime_da(self.started_at)} (programversion {klyngedata.__version__}).")
        record(data_notes=notes.items)
        return blocks.footer(lines)

    def _registry_source_lines(self) -> list[str]:
        """The unit's composition with its source and date, what is unconfirmed (once), and the law."""
        from klyngedata import registry
        from klyngedata.reports.governance import composition_source_da, unconfirmed_da

        c = self.cluster
        log.info(f"registry source of {c.id}: {c.source}")
        out = []
        if c.is_council:
            out.append(composition_source_da(c, self.local()))
            out.append("Sundhedsrådene: lov nr. 699 og lov nr. 719 af 20. juni 2025 (overgangsloven og ændring af "
                       "regionsloven), regionsloven §§ 14 a–14 p")
        else:
            try:
                commissions = list(dict.fromkeys(reader_source(t) for t in registry.levels(c)["source"]))
            except KlyngedataError:
                commissions = []
            from klyngedata.reports.reader import membership_source
            from klyngedata.reports.unit_data import _division_start

            out.append(self.fill("{Klyngens} sammensætning: ") + membership_source(
                c.source, confirmed=_confirmed_all(c), commissions=[t for t in commissions if t],
                since=_division_start(self.division)))
        local = self.local()
        for fact in local.facts if local else []:
            if fact.fact not in ("pladser",):
                out.append(f"{fact.fact.capitalize().replace('_', ' ')}: {fact.value}, {fact.cited_da()}")
        out.append(unconfirmed_da(c, local))
        return [t for t in out if t]

    def about(self) -> Any:
        """The appendix "Om tallene": how differences are judged (intervals, thresholds of relevance of the
        figures this report shows, survey shares), how developments are tested and how comparable units are
        found — the method the body of the report leaves out."""
        from IPython.display import HTML

        from klyngedata.reports.about import about_html

        shown: list[str] = []
        for get in (self.indicators, self.keyfigures):  # both loaded once per report; what the report shows
            try:
                frame = get()
            except (KlyngedataError, ImportError) as exc:
                _technical(exc)
                continue
            if "figure_id" in frame.columns:
                shown += list(dict.fromkeys(frame["figure_id"].astype(str)))
        return HTML(about_html(self.words, list(dict.fromkeys(shown)), peers=self._derived.get("peer_method_da"),
                               mortality=self._derived.get("mortality_method_da")))


def _join(items: list[str]) -> str:
    items = [i for i in items if i]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " og " + items[-1] if items else ""


def _confirmed_all(cluster: Any) -> bool:
    from klyngedata.reports.unit_data import _confirmed

    return _confirmed(cluster)
