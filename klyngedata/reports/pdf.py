"""Report HTML -> A4 PDF, printed by the headless Chromium the project already installs.

Chromium (Debian ``chromium``) is driven through ``chromedriver`` (Debian ``chromium-driver``) with selenium;
the page is printed with the DevTools command ``Page.printToPDF``, which (unlike ``chromium --print-to-pdf``)
takes a Danish running header and footer (unit, report title, reference date, "Side X af Y"). Nothing is
downloaded: the browser and the driver are the system's (``$KLYNGEDATA_CHROMIUM`` / ``$KLYNGEDATA_CHROMEDRIVER``
override the paths).

Before printing, the page is laid out as print media at the width of the A4 text area, so the plotly charts
are drawn for the paper (the template's print stylesheet does the rest: page size and margins, no toolbar,
headings kept with what follows, wrapping tables; see ``templates/klyngedata.html.j2``).

One browser prints a whole batch (:class:`PdfPrinter`); :func:`print_reports` is the step the report runner
calls after the HTML files are written.

Example
-------
Needs Chromium and chromedriver; not run as a doctest.
>>> from klyngedata.reports.pdf import html_to_pdf, PrintHeader
>>> html_to_pdf("reports/nordjylland-nord-noegletalsrapport.html",
...             header=PrintHeader("Klynge Nord", "Nøgletalsrapport", "1. april 2024"))  # doctest: +SKIP
PosixPath('reports/nordjylland-nord-noegletalsrapport.pdf')
"""

from __future__ import annotations

import base64
import html
import logging
import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from klyngedata import settings
from klyngedata.exceptions import ReportError
from klyngedata.reports.html import PAGE_MARGINS_MM, PRINT_WIDTH_PX

log = logging.getLogger(__name__)

ENV_CHROMIUM = settings.VARIABLES["chromium"]
ENV_CHROMEDRIVER = settings.VARIABLES["chromedriver"]
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMEDRIVER_NAMES = ("chromedriver",)
A4_INCH = (210 / 25.4, 297 / 25.4)
_MM_PER_INCH = 25.4
_INSTALL_HINT = "install the Debian packages chromium and chromium-driver (bash .ci/setup does it)"


@dataclass(frozen=True)
class PrintHeader:
    """What the running header and footer of every printed page say (Danish).

    ``unit``: the cluster's or council's name; ``title``: the report title; ``reference``: the date the
    figures refer to ("1. april 2024"); ``generated``: when the report was made ("1. december 2026 kl. 10.46").

    Example
    -------
    >>> PrintHeader("Klynge Nord", "Nøgletalsrapport", "1. april 2024").left()
    'Klynge Nord · Nøgletalsrapport'
    """

    unit: str
    title: str
    reference: str = ""
    generated: str = ""

    def left(self) -> str:
        return " · ".join(t for t in (self.unit, self.title) if t)

    def header_template(self) -> str:
        right = f"Tallene er fra {self.reference}" if self.reference else ""
        return _band(self.left(), right)

    def footer_template(self) -> str:
        left = f"Dannet {self.generated}" if self.generated else ""
        pages = 'Side <span class="pageNumber"></span> af <span class="totalPages"></span>'
        return _band(left, pages, right_is_html=True)


def _band(left: str, right: str, *, right_is_html: bool = False) -> str:
    """A header/footer line for Page.printToPDF (its own document: every style inline, sizes explicit)."""
    top, right_mm, bottom, left_mm = PAGE_MARGINS_MM
    r = right if right_is_html else html.escape(right)
    return (
        '<div style="font-family: \'DejaVu Sans\', \'Liberation Sans\', Arial, sans-serif; font-size: 7.5pt; '
        f'color: #57606a; width: 100%; margin: 0 {right_mm}mm 0 {left_mm}mm; display: flex; '
        'justify-content: space-between; gap: 12px;">'
        f"<span>{html.escape(left)}</span><span>{r}</span></div>"
    )


def _find(env: str, names: Iterable[str], what: str) -> str:
    setting = next(name for name, var in settings.VARIABLES.items() if var == env)
    path = getattr(settings.current(), setting)
    if path:
        if not Path(path).exists() and shutil.which(path) is None:
            raise ReportError(f"{what} not found at ${env}={path}")
        return shutil.which(path) or path
    for name in names:
        found = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None)
        if found:
            return found
    raise ReportError(f"PDF reports need {what}, which was not found; {_INSTALL_HINT}, or set ${env}")


def find_chromium() -> str:
    """Path of the Chromium binary (``$KLYNGEDATA_CHROMIUM``, else ``chromium`` on the PATH)."""
    return _find(ENV_CHROMIUM, CHROMIUM_NAMES, "Chromium")


def find_chromedriver() -> str:
    """Path of chromedriver (``$KLYNGEDATA_CHROMEDRIVER``, else ``chromedriver`` on the PATH)."""
    return _find(ENV_CHROMEDRIVER, CHROMEDRIVER_NAMES, "chromedriver (Debian package chromium-driver)")


class PdfPrinter:
    """One headless Chromium that prints report pages to A4 PDFs; use it as a context manager.

    Example
    -------
    Needs Chromium and chromedriver; not run as a doctest.
    >>> with PdfPrinter() as printer:  # doctest: +SKIP
    ...     printer.print("reports/x.html", "reports/x.pdf", PrintHeader("Klynge Nord", "Befolkningsdashboard"))
    """

    def __init__(self, *, timeout: float = 120.0) -> None:
        self.timeout = timeout
        self._driver: Any = None
        self._profile: tempfile.TemporaryDirectory | None = None

    def __enter__(self) -> PdfPrinter:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        """Start Chromium (once)."""
        if self._driver is not None:
            return
        try:
            from selenium import webdriver
            from selenium.common.exceptions import WebDriverException
            from selenium.webdriver.chrome.service import Service
        except ImportError as exc:  # pragma: no cover - selenium is a dependency
            raise ReportError(f"PDF reports need the selenium package: {exc}") from exc
        binary, driver = find_chromium(), find_chromedriver()
        self._profile = tempfile.TemporaryDirectory(prefix="klyngedata-chromium-")
        opts = webdriver.ChromeOptions()
        for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--disable-extensions", "--no-first-run", "--hide-scrollbars", "--force-device-scale-factor=1",
                    "--lang=da-DK", f"--user-data-dir={self._profile.name}",
                    f"--window-size={PRINT_WIDTH_PX},1100"):
            opts.add_argument(arg)
        opts.binary_location = binary
        try:
            self._driver = webdriver.Chrome(service=Service(driver, log_output=os.devnull), options=opts)
        except WebDriverException as exc:
            self.close()
            raise ReportError(f"could not start headless Chromium ({binary} via {driver}): {exc.msg}") from exc
        self._driver.set_page_load_timeout(self.timeout)
        self._driver.set_script_timeout(self.timeout)
        # lay pages out as print media at the width of the A4 text area: charts are drawn for the paper
        self._driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
        self._driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": PRINT_WIDTH_PX, "height": 1100, "deviceScaleFactor": 1, "mobile": False})

    def close(self) -> None:
        """Stop Chromium and remove its temporary profile."""
        if self._driver is not None:
            try:
                self._driver.quit()
            except Exception:  # noqa: BLE001 - the browser may already be gone
                pass
            self._driver = None
        if self._profile is not None:
            self._profile.cleanup()
            self._profile = None

    def print(self, html_path: str | os.PathLike[str], pdf_path: str | os.PathLike[str] | None = None,
              header: PrintHeader | None = None) -> Path:
        """Print ``html_path`` to ``pdf_path`` (default: beside it, ``.pdf``), atomically; returns the PDF path."""
        from selenium.webdriver.support.ui import WebDriverWait

        self.start()
        src = Path(html_path).resolve()
        if not src.exists():
            raise ReportError(f"cannot print {src}: the file does not exist")
        target = Path(pdf_path) if pdf_path is not None else src.with_suffix(".pdf")
        d = self._driver
        d.get(src.as_uri())
        WebDriverWait(d, self.timeout).until(lambda drv: drv.execute_script(
            "return document.readyState === 'complete' && [...document.querySelectorAll('.plotly-graph-div')]"
            ".every(e => e.querySelector('svg.main-svg') !== null)"))
        # the template's print preparation (charts resized to the paper width); absent in foreign pages
        d.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "(window.klyngedataPrint ? window.klyngedataPrint.prepare() : Promise.resolve())"
            ".then(() => document.fonts.ready).then(() => done(true), () => done(false));")
        top, right, bottom, left = (m / _MM_PER_INCH for m in PAGE_MARGINS_MM)
        params: dict[str, Any] = {
            "paperWidth": A4_INCH[0], "paperHeight": A4_INCH[1], "preferCSSPageSize": True,
            "marginTop": top, "marginRight": right, "marginBottom": bottom, "marginLeft": left,
            "printBackground": True, "scale": 1,
        }
        if header is not None:
            params.update(displayHeaderFooter=True, headerTemplate=header.header_template(),
                          footerTemplate=header.footer_template())
        data = base64.b64decode(d.execute_cdp_cmd("Page.printToPDF", params)["data"])
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        log.info("printed %s (%d bytes)", target, len(data))
        return target


def html_to_pdf(html_path: str | os.PathLike[str], pdf_path: str | os.PathLike[str] | None = None, *,
                header: PrintHeader | None = None, timeout: float = 120.0) -> Path:
    """Print one report HTML to an A4 PDF (default: beside it, same name with ``.pdf``).

    Example
    -------
    Needs Chromium and chromedriver, and a report; not run as a doctest.
    >>> html_to_pdf("reports/nordjylland-nord-befolkningsdashboard.html")  # doctest: +SKIP
    PosixPath('reports/nordjylland-nord-befolkningsdashboard.pdf')
    """
    with PdfPrinter(timeout=timeout) as printer:
        return printer.print(html_path, pdf_path, header)


def header_for(result: Any) -> PrintHeader:
    """The running header of a report from the runner's :class:`~klyngedata.reports.runner.ReportResult`."""
    from klyngedata.formatting import datetime_da
    from klyngedata.reports.index import NOTEBOOK_TITLES, period_label

    rec = result.recorded or {}
    period = rec.get("period") or ""
    return PrintHeader(
        unit=str(rec.get("cluster_name") or result.cluster_id),
        title=NOTEBOOK_TITLES.get(result.notebook, result.notebook),
        reference=period_label(period) if period else "",
        generated=datetime_da(result.generated_at),
    )


def print_reports(results: Iterable[Any], *, timeout: float = 120.0, progress: bool = False) -> None:
    """Print the HTML of every successful report of a batch to a PDF beside it (one browser for all).

    Sets ``pdf_path`` on each result, or ``pdf_error`` when printing failed (the HTML is kept either way);
    a browser that cannot start marks every report with that error.
    """
    todo = [r for r in results if r.ok and r.html_path is not None]
    if not todo:
        return
    try:
        printer = PdfPrinter(timeout=timeout)
        printer.start()
    except ReportError as exc:
        for r in todo:
            r.pdf_error = str(exc)
        return
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(todo), desc="PDF", unit="rapport")
    try:
        for r in todo:
            try:
                r.pdf_path = printer.print(r.html_path, None, header_for(r))
            except Exception as exc:  # noqa: BLE001 - one failed PDF does not stop the others
                r.pdf_error = f"{type(exc).__name__}: {exc}"
                log.warning("PDF of %s failed: %s", r.html_path, r.pdf_error)
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
        printer.close()
