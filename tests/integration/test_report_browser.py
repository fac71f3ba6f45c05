"""The nightly report as a controller sees it: the HTML page rendered by headless Chromium to a
screenshot and printed to PDF (A4 landscape, every column of every section on the page, read
back with pypdf), from a file URL with no network. Needs the Debian packages chromium and
chromium-driver; without them these tests fail (they never skip)."""

from __future__ import annotations

import base64
import io
import re
import struct
import subprocess
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from hub.reconcile.tables import load_tables
from hub.report.collect import Options
from hub.report.columns import SECTIONS
from hub.report.htmlkit import labels
from hub.report.nightly import run_nightly
from tests.component.test_report_support import DAY, build

pytestmark = pytest.mark.integration
CHROMIUM, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
EXTERNAL = re.compile(r"""(?:src|href|url)\s*[=(]\s*["']?\s*(?:[a-z]+:)?//""", re.IGNORECASE)


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_the_html_report_renders_in_headless_chromium(tmp_path: Path) -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail("headless Chromium is missing: apt-get install -y chromium chromium-driver")
    url = f"sqlite:///{tmp_path / 'store.db'}"
    build(url).close()
    result = run_nightly(url, Options(DAY), tmp_path / "out", load_tables())
    page = result.html.read_text(encoding="utf-8")
    assert not EXTERNAL.search(page) and "http://" not in page and "https://" not in page
    assert "<script" not in page and "<img" not in page and "<link" not in page
    assert page.count("<svg") >= 4 and "Aansluiting tussen de onderdelen" in page
    shot = tmp_path / "rapport.png"
    done = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1400,2400",
         f"--screenshot={shot}", result.html.as_uri()],
        capture_output=True, timeout=120, check=False)
    assert shot.exists(), done.stderr.decode(errors="replace")[-2000:]
    data = shot.read_bytes()
    assert _png_size(data) == (1400, 2400)
    assert len(data) > 50_000  # a blank or error page compresses to a few kilobytes


def _with_pib(url: str) -> None:
    """The test store plus a PIB budget and an approved voucher, and the paid April invoice
    under a number an earlier document turns out to have (so every section has rows: the paid
    booking is reversed, a terugvordering)."""
    from dataclasses import replace

    from tests.component.test_report_support import ISAM, A, C, bsn, invoice, msg

    store = build(url)
    early = invoice("2024-04", A, date(2024, 4, 1), date(2024, 4, 30), 40, date(2024, 5, 1))
    early = replace(early, message_id="inv-2024-04-vroeg", record={
        **early.record, "message_id": "inv-2024-04-vroeg", "ubl_sha256": "2024-04-vroeg"})
    store.record_batch("report-test", [early])
    store.record_batch("report-test", [
        msg("inburgering.isi.", "PibBudget", "c-pib", C, bsn=bsn(2), pib_traject_id="T1",
            gemeentecode="0363", toekenningsdatum=date(2024, 9, 10),
            scholingsbudget_cent=500_000, meerkosten_cent=50_000, bonus_cent=25_000,
            bron_versie=None),
        msg(ISAM, "PibVoucher", "c-v1", C, gemeentecode="0363", pib_traject_id="T1",
            voucher_id="V-1", ontvanger="INBURGERAAR", vorm="VOUCHER", waarde_cent=25_000,
            status="UITGEREIKT", statusdatum=date(2025, 3, 1),
            trajectstartdatum=date(2024, 10, 1), bron_versie=None)])
    while store.project_pending():
        pass
    store.close()


def _pdf_text(pdf: bytes) -> tuple[list[tuple[float, float]], str]:
    """Page sizes in points and the text of every page, whitespace folded."""
    reader = PdfReader(io.BytesIO(pdf))
    sizes = [(float(p.mediabox.width), float(p.mediabox.height)) for p in reader.pages]
    text = " ".join(p.extract_text() for p in reader.pages)
    return sizes, re.sub(r"\s+", " ", text)


def test_the_report_prints_on_a4_landscape_with_every_column(tmp_path: Path) -> None:
    if not (Path(CHROMIUM).exists() and Path(DRIVER).exists()):
        pytest.fail("headless Chromium is missing: apt-get install -y chromium chromium-driver")
    url = f"sqlite:///{tmp_path / 'store.db'}"
    _with_pib(url)
    result = run_nightly(url, Options(DAY), tmp_path / "out", load_tables())
    page = result.html.read_text(encoding="utf-8")
    for section in SECTIONS:  # the table of contents links to every section
        assert f'href="#{section.key}"' in page and f'id="{section.key}"' in page
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(DRIVER))
    try:
        driver.set_page_load_timeout(60)
        driver.get(result.html.as_uri())
        printed = driver.execute_cdp_cmd("Page.printToPDF", {
            "preferCSSPageSize": True, "printBackground": True, "displayHeaderFooter": False})
    finally:
        driver.quit()
    pdf = base64.b64decode(printed["data"])
    (tmp_path / "rapport.pdf").write_bytes(pdf)
    sizes, text = _pdf_text(pdf)
    a4_landscape = (841.9, 595.3)  # points
    assert sizes and all(abs(w - a4_landscape[0]) < 2 and abs(h - a4_landscape[1]) < 2
                         for w, h in sizes)
    for section in SECTIONS:
        assert result.csvs[section.key].read_text().count("\n") > 1, f"{section.key} is empty"
        missing = [label for label in labels(section) if label not in text]
        assert not missing, f"{section.key}: not printed: {missing}"
