"""Statistics Denmark's StatBank API: the HTTP client, exact parsing of its answers and the population tables.

* :mod:`klyngedata.dst.client` – POST, timeouts, retries; :mod:`klyngedata.dst.errors` – Danish error sentences;
* :mod:`klyngedata.dst.parse` – StatBank CSV/BULK answers and exports, parsed exactly or refused;
* :mod:`klyngedata.dst.metadata` – ``/tables`` and ``/tableinfo`` (``updated`` in Danish time, footnotes);
* :mod:`klyngedata.dst.checks` – an answer's totals must equal the sums of their parts;
* :mod:`klyngedata.dst.tables` – FOLK1A, FOLK1AM, FRKM1yy and :func:`fetch_table`;
* health tables (FOD207, FOLK1B, SYGP1, SYGK1, SBR01, HJEMSYG, AED21, AED06–08, HISBK, FODIE):
  :mod:`~klyngedata.dst.health_tables` (the catalogue: roles and wanted measures),
  :mod:`~klyngedata.dst.health_resolve` (from ``/tableinfo``, or one Danish refusal),
  :mod:`~klyngedata.dst.health_parse` (answers and exports → the tidy schema documented there),
  :mod:`~klyngedata.dst.health_fetch` (BULK in chunks of periods) and :mod:`~klyngedata.dst.health_store`
  (cache, merge by key, :func:`~klyngedata.dst.health_store.load_health_table`).

Example
-------
Needs the network (Statistics Denmark's API); not run as a doctest.
>>> from klyngedata.dst import StatBankClient, fetch_table  # doctest: +SKIP
>>> fetch_table("FOLK1A", periods="latest", by_sex_age=False)  # doctest: +SKIP
"""

from klyngedata.dst.client import DEFAULT_BASE_URL, ENV_BASE_URL, USER_AGENT, StatBankClient, StatBankError
from klyngedata.dst.tables import (
    FOLK1A,
    FOLK1AM,
    FRKM,
    TableSpec,
    build_selection,
    fetch_table,
    latest_published_period,
    resolve_projection_table,
)

__all__ = [
    "DEFAULT_BASE_URL",
    "ENV_BASE_URL",
    "FOLK1A",
    "FOLK1AM",
    "FRKM",
    "USER_AGENT",
    "StatBankClient",
    "StatBankError",
    "TableSpec",
    "build_selection",
    "fetch_table",
    "latest_published_period",
    "resolve_projection_table",
]
