"""The nightly report as a controller sees it: the HTML page rendered by headless Chromium to a
screenshot, from a file URL with no network. Needs the Debian package chromium; without it this
test fails (it never skips)."""

from __future__ import annotations

import re
import struct
import subprocess
from pathlib import Path

import pytest

from hub.reconcile.tables import load_tables
from hub.report.collect import Options
from hub.report.nightly import run_nightly
from tests.component.test_report_support import DAY, build

pytestmark = pytest.mark.integration
CHROMIUM = "/usr/bin/chromium"
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
