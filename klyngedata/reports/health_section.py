"""The section "Sundhed og ældre" of a unit's key-figure report: the indicators klyngedata computes from the
StatBank tables it fetches (:func:`klyngedata.health.health_figures`), in Danish for politicians.

What the reader sees, for the unit (with the region and the whole country beside it):

* a table per theme (general practice and psychologist, hospital, the elderly, deaths and births) with the
  data year beside every figure and, in words, whether the unit differs from the whole country – only when the
  difference is statistically certain *and* at least the figure's threshold of relevance
  (:mod:`klyngedata.health_defs`), otherwise "på niveau";
* not life expectancy: the section "Dødelighed og middellevetid" (:mod:`klyngedata.reports.mortality_section`)
  computes the unit's from a life table and shows the members' published figures (HISBK) beside it;
* the projected number and share of the 65+ and 80+;
* how old the figures are: each table's newest year and when it was fetched, and a plain warning when a table
  is older than Statistics Denmark's usual publication lag (:func:`klyngedata.health.data_age`).

Hidden small counts are shown as ``<5``/``x`` with the disclosure note; a figure that cannot be computed says why
once. No ids, table names, paths or commands reach the reader (the technical reason goes to the log).

Example
-------
Needs a unit's report over fetched health tables; not run as a doctest.
>>> health_section(report)  # doctest: +SKIP
"""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd
from IPython.display import HTML

from klyngedata import clock
from klyngedata.disclosure import NOTE_DA
from klyngedata.exceptions import KlyngedataError
from klyngedata.health_defs import HEALTH_FIGURES, THEMES_DA
from klyngedata.reports import blocks
from klyngedata.vocabulary import parse_period

log = logging.getLogger(__name__)
esc = blocks.esc

__all__ = ["health_section", "outcome_da"]

_TABLE_THEMES = ("praksis", "sygehus", "aeldre", "doede_foedte")
_WORDS = {"higher": "højere", "lower": "lavere", "better": "bedre", "worse": "dårligere"}
_NOT_FETCHED_DA = ("Tallene om sundhed og ældre fra Danmarks Statistik er ikke hentet til de data, rapporten bygger "
                   "på, så afsnittet er tomt.")


def outcome_da(row: pd.Series) -> str:
    """How the unit compares with the whole country, in words: a difference is named only when it is statistically
    certain and at least the figure's threshold of relevance; otherwise "på niveau"; "–" when not compared.

    >>> outcome_da(pd.Series({"figure_id": "personer_laegekontakt_pct", "vs_country": "higher", "value": 84.3,
    ...                       "country_value": 83.6, "suppressed": False}))
    'på niveau'
    """
    outcome = str(row.get("vs_country") or "")
    if bool(row.get("suppressed")) or outcome in ("", "not_compared", "nan", "None"):
        return "–"
    if outcome == "similar":
        return "på niveau"
    f = HEALTH_FIGURES.get(str(row["figure_id"]))
    value, bench = row.get("value"), row.get("country_value")
    if f is not None and pd.notna(value) and pd.notna(bench):
        limit = max(f.relevance_absolute, f.relevance_relative * abs(float(bench)))
        if abs(float(value) - float(bench)) < limit - 1e-9:
            return "på niveau"
    return _WORDS.get(outcome, "–")


def _td(text: str, row: pd.Series | None = None, unit: str = "") -> str:
    """A number cell (counts of persons marked, as the other tables' cells are)."""
    if row is None:
        return f'<td class="kd-num">{esc(text)}</td>'
    count = ' data-count="1"' if unit in blocks.COUNT_UNITS else ""
    return (f'<td class="kd-num" data-figure-id="{esc(str(row["figure_id"]))}" data-unit="{esc(unit)}"{count}>'
            f"{esc(text)}</td>")


def _value(row: pd.Series, column: str = "value") -> str:
    f = HEALTH_FIGURES[str(row["figure_id"])]
    if column == "value":
        return blocks.value_text(row["value"], f.unit, f.decimals, row.get("display"), row.get("suppressed", False))
    return blocks.value_text(row.get(column), f.unit, f.decimals)


def _theme_table(rows: pd.DataFrame, unit_name: str) -> str:
    head = "".join(f"<th>{esc(h)}</th>" for h in ("Nøgletal", "Enhed", unit_name, "Regionen", "Hele landet", "År",
                                                  "I forhold til landet"))
    body = []
    for _, r in rows.iterrows():
        f = HEALTH_FIGURES[str(r["figure_id"])]
        body.append("<tr>" + f"<td>{esc(f.label_da)}</td><td>{esc(f.unit)}</td>" + _td(_value(r), r, f.unit)
                    + _td(_value(r, "region_value"), r, f.unit) + _td(_value(r, "country_value"), r, f.unit)
                    + f"<td>{esc(str(r['data_year_da']))}</td><td>{esc(outcome_da(r))}</td></tr>")
    return f'<table class="kd-table"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def _missing_notes(rows: pd.DataFrame) -> list[str]:
    """One sentence per distinct reason a figure of the unit is missing (hidden counts excepted)."""
    missing = rows[rows["value"].isna() & ~rows["suppressed"].astype(bool)]
    notes: dict[str, list[str]] = {}
    for _, r in missing.iterrows():
        notes.setdefault(str(r["reason_da"] or "Tallet kan ikke beregnes."), []).append(str(r["label_da"]).lower())
    return [f"{', '.join(labels).capitalize()}: {reason}" for reason, labels in notes.items()]


def _projection_table(report: Any, unit_name: str) -> str:
    from klyngedata.health import health_figures

    ids = ["fremskrevet_65_plus", "fremskrevet_andel_65_plus", "fremskrevet_80_plus", "fremskrevet_andel_80_plus"]
    rows = health_figures(report.cluster.id, figures=ids, period="all", data_dir=report.data_dir)
    if rows.empty or rows["value"].isna().all():
        return ""
    by_year = {str(p): g.set_index("figure_id") for p, g in rows.groupby(rows["period"].astype(str))}
    head = "".join(f"<th>{esc(h)}</th>" for h in ("År", "65 år og derover", "Andel 65+", "80 år og derover",
                                                  "Andel 80+"))
    body = []
    for year, g in sorted(by_year.items()):
        cells = "".join(_td(_value(_with_id(g, f)), _with_id(g, f), HEALTH_FIGURES[f].unit) if f in g.index
                        else "<td>–</td>" for f in ids)
        body.append(f"<tr><td>{esc(year)}</td>{cells}</tr>")
    first = min(by_year)
    return (f"<h3>{esc(THEMES_DA['fremskrivning'])}</h3>"
            f"<p>{esc(f'Antallet af ældre ifølge Danmarks Statistiks nyeste fremskrivning (fra {first}).')}</p>"
            f'<table class="kd-table"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>')


def _with_id(g: pd.DataFrame, figure_id: str) -> pd.Series:
    row = g.loc[figure_id].copy()
    row["figure_id"] = figure_id
    return row


def _age_table(report: Any) -> str:
    """The data age: every table's newest period, fetch date and usual publication; a plain warning first when a
    table is older than usual."""
    from klyngedata.health import data_age

    age = data_age(report.data_dir, today=clock.today())
    if age.empty:
        return ""
    old = age[age["older_than_usual"]]
    warning = ""
    if len(old):
        what = ("alle tallene i afsnittet" if len(old) == len(age) else
                "tallene om " + ", ".join(old["what_da"].tolist()[:-1]) + (" og " if len(old) > 1 else "")
                + old["what_da"].iloc[-1])
        warning = blocks.note_da(f"Danmarks Statistik har normalt offentliggjort nyere tal end dem, rapporten bygger "
                                 f"på, for {what}. Tallene bør opdateres, før rapporten bruges.",
                                 title="Ældre tal end normalt").data
    fetched = sorted(set(age["fetched_da"]) - {""})
    one_day = len(fetched) <= 1
    columns = ["Tallene om", "Går til og med", *([] if one_day else ["Hentet"]), "Offentliggøres normalt",
               "Nyere tal burde findes"]
    body = "".join(
        f"<tr><td>{esc(str(r.what_da).capitalize())}</td><td>{esc(r.newest_da)}</td>"
        + ("" if one_day else f'<td style="white-space: nowrap">{esc(r.fetched_da)}</td>')
        + f"<td>{esc(r.usual_da)}</td><td>{esc(f'ja, til og med {r.expected_da}' if r.older_than_usual else 'nej')}"
        "</td></tr>" for r in age.itertuples())
    source = "Kilde: Danmarks Statistik, statistikbanken" + (f", hentet {fetched[0]}" if one_day and fetched else "")
    source += report.fill(". Kommunernes tal er lagt sammen til {klyngen}, regionen og hele landet.")
    head = "".join(f"<th>{esc(h)}</th>" for h in columns)
    return ("<h3>Tallenes alder</h3>" + warning
            + f'<table class="kd-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
            + f'<p class="kd-caption">{esc(source)}</p>')


def _period_rows(frame: pd.DataFrame, period: str) -> pd.DataFrame:
    """Each figure's newest year not after the report's period (projections as they are)."""
    if period in ("latest", "all", "", None):
        newest = frame.groupby("figure_id")["period"].transform(lambda s: max(s, key=lambda p: p.start_time))
        return frame[frame["period"] == newest]
    end = parse_period(period).end_time
    keep = frame[[p.start_time <= end or HEALTH_FIGURES[f].kind == "projection"
                  for f, p in zip(frame["figure_id"], frame["period"], strict=True)]]
    newest = keep.groupby("figure_id")["period"].transform(lambda s: max(s, key=lambda p: p.start_time))
    return keep[keep["period"] == newest]


def health_section(report: Any) -> HTML:
    """The section's HTML for a :class:`~klyngedata.reports.context.ClusterReport` (see the module docstring)."""
    from klyngedata.health import health_figures

    try:
        every = health_figures(report.cluster.id, period="all", data_dir=report.data_dir)
    except KlyngedataError as exc:
        log.info("%s: %s", type(exc).__name__, exc)
        return blocks.note_da(_NOT_FETCHED_DA)
    rows = _period_rows(every, report.period)
    unit_name = report.fill("{Klyngen}")
    intro = report.fill("Tallene er Danmarks Statistiks tal for kommunerne, lagt sammen for {klyngen}: antallene "
                        "lægges sammen, og andele og rater beregnes af summerne. Året står ud for hvert tal. "
                        "Forskelle til hele landet nævnes kun, når de er statistisk sikre og store nok til at betyde "
                        "noget.")
    parts = [f"<p>{esc(intro)}</p>"]
    for theme in _TABLE_THEMES:
        shown = rows[rows["figure_id"].map(lambda f, t=theme: HEALTH_FIGURES[f].theme == t)]
        if shown.empty or shown["value"].isna().all() and not shown["suppressed"].any():
            continue
        parts.append(f"<h3>{esc(THEMES_DA[theme])}</h3>" + _theme_table(shown, unit_name))
    notes = _missing_notes(rows[rows["figure_id"].map(lambda f: HEALTH_FIGURES[f].theme in _TABLE_THEMES)])
    if notes:
        parts.append(blocks.note_da(" ".join(notes), title="Tal, der ikke kan vises").data)
    if rows["suppressed"].astype(bool).any():
        parts.append(f'<p class="kd-caption">{esc(NOTE_DA)}</p>')
    try:
        parts.append(_projection_table(report, unit_name))
    except KlyngedataError as exc:
        log.info("%s: %s", type(exc).__name__, exc)
    parts.append(_age_table(report))
    return HTML('<div class="kd-health">' + "".join(parts) + "</div>")
