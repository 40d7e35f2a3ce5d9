"""klyngedata: population, key figures, maps and reports for the Danish sundhedsklynger."""

from __future__ import annotations

__version__ = "0.1.0"
