"""Deprecated location of the canonical code formats: use :mod:`klyngedata.vocabulary.codes`.

Kept for one release so that user code importing ``klyngedata.codes`` keeps working.
"""

from klyngedata.vocabulary.codes import *  # noqa: F403
from klyngedata.vocabulary.codes import (  # noqa: F401
    UNCODED_REGIONS,
    dst_municipality_code,
    dst_region_code,
    normalize_municipality_code,
    normalize_municipality_codes,
    normalize_region_code,
)
