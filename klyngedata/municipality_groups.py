"""Statistics Denmark's municipality groups (KOMMUNEGRUPPER_V1_2018), read from a user's file into the cache.

The groups classify the 98 municipalities by urbanity: 1 Hovedstadskommuner, 2 Storbykommuner,
3 Provinsbykommuner, 4 Oplandskommuner, 5 Landkommuner. klyngedata reads them from the JSON file of the
doughnut project (``kommuner.json``: ``{"grupper": {"1": "Hovedstadskommuner", ...}, "kommuner": [{"kode":
"101", "navn": "København", "gruppe": 1}, ...]}``) with ``klyngedata data import PATH``, like any other
downloaded file; nothing is built in.

Frame (:func:`municipality_groups`): ``municipality_code`` (``"0101"``), ``name``, ``group`` (int 1–5),
``group_name`` (Danish).

Example
-------
Needs the municipality groups imported into the data directory; not run as a doctest.
>>> municipality_groups("/tmp/kd").query("municipality_code == '0773'")["group_name"].item()  # doctest: +SKIP
'Landkommuner'
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pandas as pd

from klyngedata.cache import Cache
from klyngedata.exceptions import DataFormatError, DataNotAvailable
from klyngedata.vocabulary.codes import normalize_municipality_code

__all__ = [
    "CACHE_KEY",
    "import_municipality_groups",
    "is_municipality_groups_file",
    "municipality_groups",
    "read_municipality_groups",
]

CACHE_KEY = "reference/municipality_groups"
SOURCE_DA = "Danmarks Statistik, kommunegrupper (KOMMUNEGRUPPER_V1_2018)"


def _load_json(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataFormatError(f"{path}: not a readable JSON file ({exc})") from exc


def is_municipality_groups_file(path: str | os.PathLike[str]) -> bool:
    """True if ``path`` is a JSON file with ``grupper`` and a ``kommuner`` list of ``kode``/``gruppe`` entries.

    Example
    -------
    >>> is_municipality_groups_file("README.md")
    False
    """
    p = Path(path)
    if p.suffix.lower() != ".json" or not p.is_file() or p.stat().st_size > 5_000_000:
        return False
    try:
        data = _load_json(p)
    except DataFormatError:
        return False
    return (isinstance(data, dict) and isinstance(data.get("grupper"), dict)
            and isinstance(data.get("kommuner"), list) and bool(data["kommuner"])
            and all(isinstance(k, dict) and {"kode", "gruppe"} <= set(k) for k in data["kommuner"]))


def read_municipality_groups(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read and validate a municipality-group file (see the module docstring).

    Errors (:class:`~klyngedata.exceptions.DataFormatError`) name the file and the entry.

    Example
    -------
    Needs the municipality groups file of the shared data; not run as a doctest.
    >>> read_municipality_groups("../shared/data/indicators/kommuner.json")["group"].nunique()  # doctest: +SKIP
    5
    """
    p = Path(path)
    data = _load_json(p)
    if not isinstance(data, dict) or "kommuner" not in data or "grupper" not in data:
        raise DataFormatError(f"{p}: expected a JSON object with 'grupper' and 'kommuner'")
    names = {str(k): str(v) for k, v in data["grupper"].items()}
    rows, seen = [], set()
    for i, entry in enumerate(data["kommuner"]):
        where = f"{p}, kommuner[{i}]"
        try:
            code = normalize_municipality_code(str(entry["kode"]))
            group = int(entry["gruppe"])
        except (KeyError, TypeError, ValueError) as exc:
            raise DataFormatError(f"{where}: needs 'kode' (municipality code) and 'gruppe' (1-5): {exc}") from exc
        if str(group) not in names:
            raise DataFormatError(f"{where}: group {group} is not one of {sorted(names)}")
        if code in seen:
            raise DataFormatError(f"{where}: municipality {code} appears twice")
        seen.add(code)
        rows.append({"municipality_code": code, "name": str(entry.get("navn", "")), "group": group,
                     "group_name": names[str(group)]})
    out = pd.DataFrame(rows, columns=["municipality_code", "name", "group", "group_name"])
    out.attrs["provenance"] = {"file": str(p), "source": SOURCE_DA}
    return out


def import_municipality_groups(path: str | os.PathLike[str], data_dir: str | os.PathLike[str] | None = None) -> str:
    """Read a municipality-group file and store it in the cache; returns the cache key.

    Example
    -------
    Needs the municipality groups file of the shared data; not run as a doctest.
    >>> import_municipality_groups("../shared/data/indicators/kommuner.json", "/tmp/kd")  # doctest: +SKIP
    'reference/municipality_groups'
    """
    frame = read_municipality_groups(path)
    Cache(data_dir).write(CACHE_KEY, frame, {
        "table": "KOMMUNEGRUPPER_V1_2018", "file": str(Path(path).resolve()),
        "imported_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(), "source": SOURCE_DA,
    })
    return CACHE_KEY


def municipality_groups(data_dir: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """The municipality groups from the cache; :class:`DataNotAvailable` (saying how to import) if absent.

    Example
    -------
    Needs the municipality groups imported into the data directory; not run as a doctest.
    >>> municipality_groups("/tmp/kd")["group"].between(1, 5).all()  # doctest: +SKIP
    True
    """
    cache = Cache(data_dir)
    if not cache.exists(CACHE_KEY):
        raise DataNotAvailable(
            f"No municipality groups in the cache ({cache.root}). Import Statistics Denmark's municipality "
            "groups with `klyngedata data import PATH` (a JSON file such as kommuner.json)."
        )
    return cache.read(CACHE_KEY)
