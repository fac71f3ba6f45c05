"""Headless Chromium for the console's page tests (Debian chromium + chromium-driver, Selenium).

Widths are set with Chrome's device-metrics emulation; below 600 px as a mobile device, where
a page without ``<meta name="viewport">`` would be laid out 980 px wide, so ``viewport_width``
proves the meta tag works. Without Chromium the tests fail (they never skip).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from tests.integration.console_support import PASSWORD

CHROMIUM, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
WIDTHS = (390, 768, 1280)
_LOADS = 0


@contextmanager
def chromium(profile: Path) -> Iterator[WebDriver]:
    """Headless Chromium on a fresh profile; quit afterwards."""
    if not (Path(CHROMIUM).exists() and shutil.which(DRIVER)):
        pytest.fail("headless Chromium is missing: apt-get install -y chromium chromium-driver")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--window-size=1280,900",
                 "--lang=en-GB", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(DRIVER))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def set_width(driver: WebDriver, width: int, *, dark: bool = False) -> None:
    """Emulate a screen ``width`` px wide (a phone below 600), light or dark scheme."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 600})
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [
        {"name": "prefers-color-scheme", "value": "dark" if dark else "light"}]})


def wait(driver: WebDriver, timeout: float = 20) -> WebDriverWait[WebDriver]:
    """A wait that retries when the page redrew an element mid-check."""
    return WebDriverWait(driver, timeout, ignored_exceptions=(StaleElementReferenceException,))


def login(driver: WebDriver, url: str, name: str) -> None:
    """Log in through the form and wait for the console to name the user."""
    driver.delete_all_cookies()
    driver.get(url + "/login")
    driver.find_element(By.ID, "name").send_keys(name)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.ID, "submit").click()
    wait(driver).until(lambda d: name in d.find_element(By.ID, "who").text)


def open_page(driver: WebDriver, url: str, hash_path: str,
              ready: Callable[[WebDriver], Any]) -> None:
    """Load the console at ``#<hash_path>`` (a full load, even when only the hash differs)
    and wait until ``ready`` holds."""
    global _LOADS
    _LOADS += 1
    driver.get(f"{url}/?load={_LOADS}#{hash_path}")
    wait(driver, 30).until(ready)


def shown(driver: WebDriver, css: str) -> str:
    """Text of the first element matching ``css`` when it is displayed, else ""."""
    found = [e for e in driver.find_elements(By.CSS_SELECTOR, css) if e.is_displayed()]
    return found[0].text if found else ""


def viewport_width(driver: WebDriver) -> int:
    """The layout viewport's width in CSS px."""
    return int(driver.execute_script("return window.innerWidth"))


def page_overflow(driver: WebDriver) -> int:
    """How many px the page is wider than the viewport (tables scroll inside their box)."""
    return int(driver.execute_script(
        "return document.documentElement.scrollWidth - window.innerWidth"))


def errors(driver: WebDriver) -> list[str]:
    """Severe browser console messages (script errors, refused resources)."""
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
