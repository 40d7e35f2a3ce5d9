"""One chart configuration for every renderer: the plotly.js toolbar in Danish, without plotly's logo and
without the "Share chart..." button (it would send the data to plotly's cloud service).

The configuration travels with each figure: :data:`PLOTLY_CONFIG` carries the Danish locale itself
(``locales``), so it needs no ``Plotly.register`` in the page and works wherever plotly.js draws the figure —
JupyterLab's and VS Code's plotly renderers (the ``application/vnd.plotly.v1+json`` output carries ``config``),
plotly's HTML renderers, and the exported reports (:mod:`klyngedata.reports.html`, the overview page).
:func:`apply` gives every plotly renderer of this Python this configuration; it runs when a klyngedata chart
module is imported (:mod:`klyngedata.figures`, :mod:`klyngedata.geo.canvas`), so ``kd.cluster_map()`` in a
notebook is configured without any set-up cell. A configuration the analyst gave a renderer first wins.

Example
-------
>>> import plotly.io as pio
>>> apply()
>>> pio.renderers["plotly_mimetype"].config["showSendToCloud"], pio.renderers["vscode"].config["locale"]
(False, 'da')
"""

from __future__ import annotations

from typing import Any

from klyngedata.vocabulary import MONTHS_DA

PLOTLY_LOCALE_DA: dict[str, Any] = {
    # Danish texts of plotly.js' toolbar and messages (translated for klyngedata; keys are plotly.js' strings)
    "dictionary": {
        "Autoscale": "Autoskalér", "Box Select": "Vælg med rektangel", "Lasso Select": "Vælg med lasso",
        "Compare data on hover": "Sammenlign data ved musen",
        "Show closest data on hover": "Vis nærmeste data ved musen",
        "Toggle show closest data on hover": "Vis/skjul nærmeste data ved musen",
        "Toggle Spike Lines": "Vis/skjul hjælpelinjer", "Double-click to zoom back out": "Dobbeltklik for at zoome ud",
        "Double-click on legend to isolate one trace": "Dobbeltklik på forklaringen for at vise én serie",
        "Download plot": "Hent figuren", "Download plot as a PNG": "Hent figuren som PNG",
        "Download plot as JSON": "Hent figuren som JSON", "Image download succeeded": "Billedet er hentet",
        "JSON download succeeded": "JSON-filen er hentet",
        "Preparing image - this may take a few seconds": "Billedet forberedes – det kan tage et par sekunder",
        "Sorry, there was a problem downloading your image!": "Der opstod en fejl, da billedet skulle hentes.",
        "Sorry, there was a problem downloading your JSON file!": "Der opstod en fejl, da JSON-filen skulle hentes.",
        "Pan": "Panorér", "Zoom": "Zoom", "Zoom in": "Zoom ind", "Zoom out": "Zoom ud", "Reset axes": "Nulstil akser",
        "Reset view": "Nulstil visning", "Reset views": "Nulstil visninger", "Reset": "Nulstil",
        "Reset camera to default": "Nulstil kamera", "Reset camera to last save": "Nulstil kamera til sidst gemte",
        "Orbital rotation": "Kredsløbsrotation", "Turntable rotation": "Drejeskiverotation",
        "Draw line": "Tegn linje", "Draw rectangle": "Tegn rektangel", "Draw circle": "Tegn cirkel",
        "Draw open freeform": "Tegn åben figur", "Draw closed freeform": "Tegn lukket figur",
        "Erase active shape": "Slet valgt figur",
    },
    "format": {
        "days": ["søndag", "mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag"],
        "shortDays": ["søn", "man", "tir", "ons", "tor", "fre", "lør"],
        "months": list(MONTHS_DA),
        "shortMonths": ["jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec"],
        "date": "%d.%m.%Y", "decimal": ",", "thousands": ".",
    },
}

PLOTLY_CONFIG: dict[str, Any] = {
    "displaylogo": False,  # no "Produced with Plotly" logo
    "showSendToCloud": False,  # plotly.js 3 shows "Share chart..." (sends the data to plotly's cloud) by default
    "modeBarButtonsToRemove": ["sendChartToCloud"],
    "responsive": True,
    "locale": "da",
    "locales": {"da": PLOTLY_LOCALE_DA},  # the locale with the figure: no registration needed in the page
}
"""The plotly.js configuration of every klyngedata chart, in every renderer."""


def apply() -> None:
    """Give every plotly renderer of this Python :data:`PLOTLY_CONFIG` (keys a renderer already has are kept).

    Example
    -------
    >>> apply()  # idempotent
    """
    from klyngedata.lazy import defer

    defer("nbformat")  # plotly's renderers import it only to check its version (show()): ~2 s a kernel otherwise
    import plotly.io as pio

    for name in list(pio.renderers):
        renderer = pio.renderers[name]
        if hasattr(renderer, "config"):
            renderer.config = {**PLOTLY_CONFIG, **(renderer.config or {})}
