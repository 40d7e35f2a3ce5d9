"""The appendix "Om tallene": the method the body of a report leaves out, in a few short paragraphs.

The body of a report speaks to a council member (higher, lower, on a level with); how that is decided —
confidence intervals, the thresholds of relevance (:mod:`klyngedata.relevance`), the tests for development,
how comparable units are found, small counts — is said once, here, for the figures the report shows.

Example
-------
>>> from klyngedata.registry.words import words
>>> "Wilsons metode" in about_html(words("sundhedsraad-2027"), ["laegekontakt_pct"])
True
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

__all__ = ["about_html"]

esc = html.escape


def _thresholds(figure_ids: Sequence[str]) -> str:
    """A table of the thresholds of the figures compared with a benchmark (those with an interval)."""
    from klyngedata import catalogue
    from klyngedata.relevance import threshold

    rows = []
    for fid in dict.fromkeys(figure_ids):
        try:
            d = catalogue.figure(fid)
        except Exception:  # noqa: BLE001 - a figure outside the catalogue has the default threshold
            continue
        if d.ci_method is None or not d.comparable:
            continue
        r = threshold(fid)
        rows.append(f"<tr><td>{esc(d.label_da)}</td><td>{esc(r.describe_da())}</td><td>{esc(r.reason_da)}</td></tr>")
    if not rows:
        return ""
    return ('<table class="kd-table kd-thresholds"><thead><tr><th>Nøgletal</th><th>Mindste forskel, der nævnes</th>'
            f'<th>Begrundelse</th></tr></thead><tbody>{"".join(rows)}</tbody></table>')


def about_html(words: Any, figure_ids: Sequence[str], *, peers: Sequence[str] | None = None,
               mortality: str | None = None) -> str:
    """The appendix for a report of a unit (``words``: its :class:`~klyngedata.registry.words.UnitWords`) that
    shows ``figure_ids``; ``peers``: the features the comparable units were found by (Danish), if shown;
    ``mortality``: how life expectancy and mortality were computed (Danish), if the report shows them."""
    parts = [
        "<p><strong>Forskelle.</strong> " + esc(words.fill(
            "En værdi kaldes højere eller lavere (for nøgletal med en god retning: bedre eller dårligere) end "
            "regionens eller hele landets, når to ting gælder: forskellen er statistisk sikker – "
            "sammenligningsværdien ligger uden for {klyngens} 95 %-konfidensinterval – og den er mindst så stor "
            "som grænsen for nøgletallet nedenfor. Intervallerne er beregnet af tæller og nævner: Wilsons metode "
            "for andele og et eksakt Poisson-interval for rater. Registertal dækker hele befolkningen, så næsten "
            "enhver forskel er statistisk sikker; grænserne skiller de forskelle fra, der er for små til at betyde "
            "noget for planlægningen. De er fastsat til det brug og er ikke en officiel norm. Samme regel "
            "gælder sammenfatningen, barometeret og farverne.")) + "</p>",
        _thresholds(figure_ids),
        "<p><strong>Spørgeskemaandele.</strong> Den Nationale Sundhedsprofil offentliggør kommunernes andele uden "
        "antallet af svarpersoner. Usikkerheden kan derfor ikke beregnes: andelene sammenlignes ikke statistisk "
        "med regionens og landets, og udviklingen beskrives som det, målingerne viser, uden at kaldes statistisk "
        "sikker. Målingen fra 2021 blev indsamlet under covid-19-restriktioner.</p>",
        "<p><strong>Udvikling over tid.</strong> For tal med kendt tæller og nævner testes udviklingen over de "
        "seneste op til fem perioder med en chi²-test for tendens i andele (Cochran-Armitage) eller en scoretest "
        "for rater (Poisson); signifikansniveau 5 %.</p>",
    ]
    if peers:
        parts.append("<p><strong>" + esc(words.fill("Sammenlignelige {klynger}")) + ".</strong> " + esc(words.fill(
            "De sammenlignelige {klynger} er fundet blandt alle {klynger} ud fra ") + ", ".join(peers) + ". Hvert "
            "kendetegn er standardiseret (omregnet, så alle vejer lige meget), og de "
            + words.fill("{klynger}") + ", hvis standardiserede værdier ligger tættest på (den euklidiske afstand), "
            "er valgt.") + "</p>")
    if mortality:
        parts.append("<p><strong>Middellevetid og dødelighed.</strong> " + esc(mortality) + "</p>")
    parts.append("<p><strong>Små tal.</strong> Tal, der bygger på 1–4 personer, vises ikke (»&lt;5«), og heller "
                 "ikke tal, som de kan regnes ud fra (»x«).</p>")
    return '<div class="kd-about">' + "".join(p for p in parts if p) + "</div>"
