"""Settings from the environment, read in one place.

Every ``KLYNGEDATA_*`` variable (and the Datafordeler key) is read here and nowhere else; other modules ask
:func:`current`. A process that starts others (the report batch: worker processes, notebook kernels; the CLI's
JupyterLab) passes its settings on explicitly with :meth:`Settings.environ`, and code that needs other
settings for a while says so with :func:`overridden` (this process) or :func:`exported` (also for the child
processes that inherit the environment) instead of saving and restoring ``os.environ`` by hand.

============================== ======================= ==========================================================
variable                       setting                 meaning
============================== ======================= ==========================================================
KLYNGEDATA_DATA_DIR            ``data_dir``            the data directory (a ``data_dir=`` argument wins)
KLYNGEDATA_OFFLINE             ``offline``             ``1``: never use the network, only the cache
KLYNGEDATA_TODAY               ``today``               the day the package takes as today (tests, previews)
KLYNGEDATA_REPORT              ``report_mode``         ``1`` inside a report's kernel (set by the batch)
KLYNGEDATA_STATBANK_URL        ``statbank_url``        another address of Statistics Denmark's API
KLYNGEDATA_DATAFORDELER_WFS_URL ``wfs_url``            another address of the DAGI WFS
DATAFORDELER_API_KEY           ``datafordeler_api_key`` the user's key for Datafordeleren
KLYNGEDATA_NOTEBOOKS           ``notebooks_dir``       the folder of the report notebooks
KLYNGEDATA_CHROMIUM            ``chromium``            the Chromium used for PDFs
KLYNGEDATA_CHROMEDRIVER        ``chromedriver``        its driver
KLYNGEDATA_BATCH_TABLES        ``batch_tables``        the tables a batch computed once (set by the batch)
KLYNGEDATA_COLD_BATCH          ``cold_batch``          ``1``: a new kernel per report (benchmarks, tests)
============================== ======================= ==========================================================

Example
-------
>>> with overridden(offline=True):
...     current().offline
True
>>> Settings(offline=True, today=None).environ()["KLYNGEDATA_OFFLINE"]
'1'
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

__all__ = ["VARIABLES", "Settings", "current", "export", "exported", "overridden"]

VARIABLES: dict[str, str] = {
    "data_dir": "KLYNGEDATA_DATA_DIR",
    "offline": "KLYNGEDATA_OFFLINE",
    "today": "KLYNGEDATA_TODAY",
    "report_mode": "KLYNGEDATA_REPORT",
    "statbank_url": "KLYNGEDATA_STATBANK_URL",
    "wfs_url": "KLYNGEDATA_DATAFORDELER_WFS_URL",
    "datafordeler_api_key": "DATAFORDELER_API_KEY",
    "notebooks_dir": "KLYNGEDATA_NOTEBOOKS",
    "chromium": "KLYNGEDATA_CHROMIUM",
    "chromedriver": "KLYNGEDATA_CHROMEDRIVER",
    "batch_tables": "KLYNGEDATA_BATCH_TABLES",
    "cold_batch": "KLYNGEDATA_COLD_BATCH",
}
"""Setting -> the environment variable it is read from."""

_FLAGS = {"offline", "report_mode", "cold_batch"}
_TRUE = {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """The package's settings (see the module docstring); ``None`` = not set."""

    data_dir: str | None = None
    offline: bool = False
    today: str | None = None
    report_mode: bool = False
    statbank_url: str | None = None
    wfs_url: str | None = None
    datafordeler_api_key: str | None = None
    notebooks_dir: str | None = None
    chromium: str | None = None
    chromedriver: str | None = None
    batch_tables: str | None = None
    cold_batch: bool = False

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings an environment gives (``os.environ`` by default).

        >>> Settings.from_environ({"KLYNGEDATA_OFFLINE": "yes", "KLYNGEDATA_TODAY": " 2027-01-02 "}).today
        '2027-01-02'
        """
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for name, var in VARIABLES.items():
            raw = (env.get(var) or "").strip()
            values[name] = raw.lower() in _TRUE if name in _FLAGS else (raw or None)
        return cls(**values)  # type: ignore[arg-type]

    def environ(self) -> dict[str, str]:
        """The variables that give these settings to a child process (kernel, worker, JupyterLab); settings
        not set are absent (merge into a copy of ``os.environ`` and drop :data:`VARIABLES` first)."""
        out: dict[str, str] = {}
        for name, var in VARIABLES.items():
            value = getattr(self, name)
            if name in _FLAGS:
                if value:
                    out[var] = "1"
            elif value is not None:
                out[var] = str(value)
        return out

    def child_environ(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """A whole environment for a child process: ``base`` (``os.environ``) without any of the package's
        variables, plus :meth:`environ`."""
        env = {k: v for k, v in (os.environ if base is None else base).items() if k not in VARIABLES.values()}
        return env | self.environ()

    def replace(self, **changes: object) -> Settings:
        """A copy with ``changes``."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    @property
    def today_date(self) -> dt.date | None:
        """``today`` as a date (``None`` when not set); a malformed value raises ``ValueError`` naming it."""
        if self.today is None:
            return None
        try:
            return dt.date.fromisoformat(self.today)
        except ValueError:
            raise ValueError(f"{VARIABLES['today']}={self.today!r} is not a date (YYYY-MM-DD)") from None


_OVERRIDES: list[dict[str, object]] = []


def current() -> Settings:
    """The settings in force: the environment's, with any :func:`overridden` changes on top."""
    settings = Settings.from_environ()
    for changes in _OVERRIDES:
        settings = settings.replace(**changes)
    return settings


@contextlib.contextmanager
def overridden(**changes: object) -> Iterator[Settings]:
    """Settings changed for the duration of a ``with`` block, in this process (threads included); child
    processes get them through :meth:`Settings.environ`. Unknown names raise ``TypeError``."""
    unknown = set(changes) - set(VARIABLES)
    if unknown:
        raise TypeError(f"unknown setting(s): {sorted(unknown)}")
    entry = dict(changes)
    _OVERRIDES.append(entry)
    try:
        yield current()
    finally:
        for i, e in enumerate(_OVERRIDES):
            if e is entry:
                del _OVERRIDES[i]
                break


def _write(settings: Settings) -> None:
    env = settings.environ()
    for var in VARIABLES.values():
        if var in env:
            os.environ[var] = env[var]
        else:
            os.environ.pop(var, None)


def export(settings: Settings) -> None:
    """Make ``settings`` this process's environment for good (a report worker process: the kernels it starts
    inherit them)."""
    _write(settings)


@contextlib.contextmanager
def exported(**changes: object) -> Iterator[Settings]:
    """As :func:`overridden`, and also written to ``os.environ`` for the block, so that child processes that
    inherit the environment (CLI subprocesses, notebook kernels started by papermill) see them.

    >>> with exported(today="2027-01-02"):
    ...     os.environ["KLYNGEDATA_TODAY"]
    '2027-01-02'
    """
    unknown = set(changes) - set(VARIABLES)
    if unknown:
        raise TypeError(f"unknown setting(s): {sorted(unknown)}")
    saved = {var: os.environ.get(var) for var in VARIABLES.values()}
    new = current().replace(**changes)
    _write(new)
    try:
        yield new
    finally:
        for var, value in saved.items():
            if value is None:
                os.environ.pop(var, None)
            else:
                os.environ[var] = value
