"""Where klyngedata keeps its local data (cache of StatBank pulls, imported files, boundaries).

Resolution order for the data directory:

1. the ``data_dir`` argument of a function call,
2. the environment variable ``KLYNGEDATA_DATA_DIR``,
3. the user data directory of the platform (``platformdirs.user_data_dir("klyngedata")``,
   e.g. ``~/.local/share/klyngedata`` on Linux).

Example
-------
>>> from klyngedata.config import data_dir
>>> data_dir("/tmp/kd").as_posix()
'/tmp/kd'
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from klyngedata import settings

ENV_DATA_DIR = settings.VARIABLES["data_dir"]


def data_dir(path: str | os.PathLike[str] | None = None, *, create: bool = False) -> Path:
    """Return the data directory to use (argument > ``$KLYNGEDATA_DATA_DIR`` > user data dir)."""
    if path is not None:
        p = Path(path).expanduser()
    elif settings.current().data_dir:
        p = Path(settings.current().data_dir).expanduser()
    else:
        p = Path(platformdirs.user_data_dir("klyngedata"))
    if create:
        p.mkdir(parents=True, exist_ok=True)
    return p
