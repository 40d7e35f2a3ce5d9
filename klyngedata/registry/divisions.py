"""Divisions (versioned sets of units) and which one is valid on a day."""

from __future__ import annotations

import pandas as pd

from klyngedata import clock
from klyngedata.exceptions import LookupFailed
from klyngedata.registry.load import _close, _reg


# --------------------------------------------------------------------------------------------------
# Divisions and clusters
# --------------------------------------------------------------------------------------------------
def divisions() -> pd.DataFrame:
    """The divisions with their validity periods and the Danish word for their units (``unit_da``).

    >>> list(divisions()["division"])
    ['klyngestyregrupper-2019', 'sundhedsklynger-2022', 'sundhedsraad-2027']
    """
    return _reg().divisions.sort_values("valid_from").reset_index(drop=True)


def division(division_id: str) -> pd.Series:
    """One division's row (name, ``valid_from``, ``valid_to``, ``unit_da``, source).

    >>> division("sundhedsklynger-2022")["valid_to"].date().isoformat()
    '2026-12-31'
    """
    d = divisions().set_index("division")
    return d.loc[resolve_division(division_id)]


def _as_date(date: object) -> pd.Timestamp:
    if date is None:
        return pd.Timestamp(clock.today())
    try:
        return pd.Timestamp(date)
    except (ValueError, TypeError):
        raise LookupFailed(f"Not a date: {date!r}") from None


def resolve_division(division: str | None = None, date: object = None) -> str:
    """Return a division id: ``division`` if given (validated), else the one valid on ``date``.

    ``date`` defaults to today (:func:`klyngedata.clock.today`, which tests and ``$KLYNGEDATA_TODAY`` can set).

    >>> resolve_division(date="2020-01-01")
    'klyngestyregrupper-2019'
    >>> resolve_division(date="2027-01-01")
    'sundhedsraad-2027'
    """
    divs = divisions()
    if division is not None:
        if division in set(divs["division"]):
            return division
        raise LookupFailed(f"Unknown division {division!r}", _close(division, list(divs["division"])))
    day = _as_date(date)
    valid = divs[(divs["valid_from"] <= day) & (divs["valid_to"].isna() | (divs["valid_to"] >= day))]
    if valid.empty:
        raise LookupFailed(f"No division is valid on {day.date()}", list(divs["division"]))
    return valid.iloc[0]["division"]


