"""Datafordeleren's DAGI WFS: a minimal WFS 2.0 GetFeature client (GeoJSON, paging, retries; the API key is
never logged)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd

from klyngedata import settings
from klyngedata.exceptions import BoundaryError
from klyngedata.geo.dagi_files import DEFAULT_WFS_URL, ENV_API_KEY, STORAGE_CRS, _parse_crs


def _redact(text: str, secret: str | None) -> str:
    return text.replace(secret, "***") if secret else text


class DatafordelerWFS:
    """Minimal WFS 2.0 GetFeature client for Datafordeleren (GeoJSON output, paging, retries).

    * the API key goes in the ``apikey`` query parameter and is never logged or put in error messages;
    * timeouts, connection errors, HTTP 429 and 5xx are retried with exponential backoff (honouring
      ``Retry-After``); 401/403 raise at once (key missing/rejected); other 4xx raise at once;
    * pages of ``page_size`` features are requested with ``count``/``startIndex`` until a short page or
      ``numberMatched`` is reached.

    Example
    -------
    Needs the network and a Datafordeler API key; not run as a doctest.
    >>> wfs = DatafordelerWFS(api_key="...")  # doctest: +SKIP
    >>> raw = wfs.get_features("dagi_v001:kommuneinddeling_current")  # doctest: +SKIP
    """

    def __init__(self, api_key: str, base_url: str | None = None, *, timeout: float = 60.0,
                 retries: int = 4, backoff: float = 1.0, page_size: int = 1000,
                 srs_name: str = f"EPSG:{STORAGE_CRS}", session: Any = None) -> None:
        import requests

        if not api_key:
            raise BoundaryError(f"a Datafordeler API key is required ({ENV_API_KEY})")
        self.api_key = api_key
        self.base_url = base_url or settings.current().wfs_url or DEFAULT_WFS_URL
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.page_size = page_size
        self.srs_name = srs_name
        self.session = session or requests.Session()

    def _params(self, typename: str, start: int) -> dict[str, Any]:
        return {
            "service": "WFS", "version": "2.0.0", "request": "GetFeature", "typeNames": typename,
            "outputFormat": "application/json", "srsName": self.srs_name, "count": self.page_size,
            "startIndex": start, "apikey": self.api_key,
        }

    def _describe(self, typename: str, start: int) -> str:
        return f"GetFeature {typename} startIndex={start} count={self.page_size} at {self.base_url}"

    def _get(self, typename: str, start: int) -> Mapping[str, Any]:
        from klyngedata.http import TransportError, send

        what = self._describe(typename, start)
        try:
            resp = send(self.session, "GET", self.base_url, params=self._params(typename, start),
                        timeout=self.timeout, retries=self.retries, backoff=self.backoff, describe=what,
                        redact=lambda text: _redact(text, self.api_key))
        except TransportError as exc:
            raise BoundaryError(f"Datafordeler WFS {what} failed after {exc.attempts} "
                                f"attempt{'s' if exc.attempts != 1 else ''} "
                                f"({exc.last_problem})") from None
        status = resp.status_code
        if status in (401, 403):
            raise BoundaryError(
                f"Datafordeler WFS refused the API key (HTTP {status}) for {what}. Check {ENV_API_KEY} "
                "and that your Datafordeler user has access to DAGI."
            )
        if status >= 400:
            body = _redact(resp.text[:300], self.api_key)
            raise BoundaryError(f"Datafordeler WFS error HTTP {status} for {what}: {body}")
        text = resp.text
        if text.lstrip().startswith("<"):
            # GeoServer reports errors as an XML ExceptionReport with status 200
            raise BoundaryError(
                f"Datafordeler WFS returned XML instead of GeoJSON for {what}: {_redact(text[:300], self.api_key)}"
            )
        try:
            data = resp.json()
        except ValueError as exc:
            raise BoundaryError(f"Datafordeler WFS returned invalid JSON for {what}: {exc}") from exc
        if not isinstance(data, dict) or "features" not in data:
            raise BoundaryError(f"Datafordeler WFS response for {what} has no 'features' member")
        return data

    def get_features(self, typename: str) -> gpd.GeoDataFrame:
        """All features of ``typename`` as a GeoDataFrame (CRS from the response, else ``srsName``)."""
        features: list[dict] = []
        crs: Any = self.srs_name
        start = 0
        while True:
            data = self._get(typename, start)
            page = data.get("features") or []
            features.extend(page)
            crs_member = data.get("crs")
            if isinstance(crs_member, dict):
                name = (crs_member.get("properties") or {}).get("name")
                if name:
                    crs = name
            matched = data.get("numberMatched")
            start += len(page)
            if len(page) < self.page_size or not page:
                break
            if isinstance(matched, int) and start >= matched:
                break
        if not features:
            raise BoundaryError(f"Datafordeler WFS returned no features for {typename} at {self.base_url}")
        gdf = gpd.GeoDataFrame.from_features(features)
        return gdf.set_crs(_parse_crs(crs), allow_override=True)
