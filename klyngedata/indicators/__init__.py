"""Health indicators: catalogue, file loaders with validation, and pooling to clusters, regions and Denmark.

Catalogue
    :data:`INDICATORS` (and :func:`indicator_catalogue`) describes every indicator: numerator, denominator,
    population group, unit, how it is pooled (``kind``), source and a ``verified`` flag (``False`` where the
    definition is marked [UNVERIFIED]/[SECONDARY] in the project's reference notes or not confirmed by the
    source). The entries are also registered in :mod:`klyngedata.catalogue` (group ``"health"``).

    ``kind`` decides the pooling:

    * ``"counts"`` – numerator and denominator are counts; pooled by summing both (never by averaging
      rates), value = numerator / denominator x ``per``;
    * ``"rate"`` – a published rate per ``per`` citizens without counts (e.g. home-nursing recipients per
      1,000): turned into an estimated count with the municipality population it was computed on
      (``rate x population / per``), the counts and populations are summed, value = sum / sum x ``per``;
    * ``"survey"`` – a survey share in % (Den Nationale Sundhedsprofil): pooled as a population-weighted
      average; the weights are stated in ``method_da`` (total population when the 16+ population is not
      available – an approximation).

User file format (documented long format)
    A CSV file (``,`` or ``;`` separated, UTF-8, header row) with the columns
    ``municipality`` (code ``851``/``0851`` or name), ``period`` (``2024``, ``2024K1``, ``2024M01``),
    ``indicator`` (an id of the catalogue), ``numerator`` and ``denominator`` (non-negative integers), and
    optionally ``sex`` (``total``/``male``/``female``, Danish accepted) and ``age_group`` (free label such as
    ``65-74``; ``total`` = all ages). Errors name the file, the line number (header = line 1) and the column.
    Christiansø (``0411``) is accepted and shown as its own area; it is no municipality and counts in no cluster,
    region or Denmark figure of the indicators (Denmark is the 98 municipalities, said in ``method_da``). A
    cluster, region or Denmark is computed only from all its municipalities, else missing with the reason.

Published files (read as they are)
    The municipality files of the doughnut project in ``shared/data/indicators`` (Sundhedsprofil 2025 and
    its history, hospital use %, GP contact %, home nursing per 1,000, prescriptions per 100): only the
    published columns (``*_pct``, ``*_raw``, ``raw_value``) are read; the project's own derived ``*_ratio``
    scores are never loaded.

Modules: :mod:`~klyngedata.indicators.files` (io: reading, validating, importing files),
:mod:`~klyngedata.indicators.pooling` (frames: units, regions, Denmark), :mod:`~klyngedata.indicators.figures`
(:func:`indicator_figures`) and :mod:`~klyngedata.indicators.standardised`; the definitions are
:mod:`klyngedata.indicator_defs`.

Example
-------
>>> int(indicator_catalogue().set_index("indicator").loc["hjemmesygepleje_pr_1000", "per"])
1000
"""

from __future__ import annotations

from klyngedata.indicator_defs import INDICATORS, Indicator, indicator, indicator_catalogue
from klyngedata.indicators.figures import headline_rows, indicator_figures
from klyngedata.indicators.files import (
    INDICATOR_COLUMNS,
    import_indicator_file,
    is_indicator_file,
    load_indicators,
    read_indicator_file,
)
from klyngedata.indicators.standardised import expected_counts, standardised_figures

__all__ = [
    "INDICATORS",
    "INDICATOR_COLUMNS",
    "Indicator",
    "expected_counts",
    "headline_rows",
    "import_indicator_file",
    "indicator",
    "indicator_catalogue",
    "indicator_figures",
    "is_indicator_file",
    "load_indicators",
    "read_indicator_file",
    "standardised_figures",
]
