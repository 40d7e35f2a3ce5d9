"""Headless Chromium for the end-to-end tests (Debian ``chromium`` + ``chromium-driver``), one definition.

A module-scoped fixture in a test file is then::

    @pytest.fixture(scope="module")
    def browser():
        yield from headless_chrome()
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def headless_chrome(window: str = "1300,1000", console_log: bool = True) -> Iterator:
    """Yield a headless Chrome driver (skips the test when the browser is not installed); quit afterwards.
    ``console_log`` keeps the browser console for ``driver.get_log("browser")``."""
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.skip("Debian chromium + chromium-driver are not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", f"--window-size={window}"):
        opts.add_argument(arg)
    opts.binary_location = CHROMIUM
    if console_log:
        opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    yield driver
    driver.quit()
