"""The console in headless Chromium: log in, see lag, re-drive a dead letter and see it
processed; a viewer is refused the re-drive. Needs the Debian packages chromium and
chromium-driver; without them this test fails (it never skips)."""

from __future__ import annotations

import subprocess
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select

from hub.runtime import Runtime
from hub.store import Store
from hub.store import models as m
from hub.store.dead_letters import list_letters
from hub.store.engine import make_engine
from tests.integration.browser_support import chromium, login, open_page, shown, wait
from tests.integration.conftest import HubEnv, stop_process, wait_until
from tests.integration.console_support import (
    EXAM,
    add_user,
    produce_broken_and_forged,
    start_console,
)

pytestmark = pytest.mark.integration
FORGED = f"dl:record:{EXAM}:{EXAM}/0/999"
METRICS_TOKEN = "prometheus-scrape-token-1234"


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[WebDriver]:
    """Headless Chromium on a fresh profile (``browser_support.chromium``)."""
    with chromium(tmp_path / "chromium-profile") as driver:
        driver.set_window_size(1400, 1300)
        yield driver


@pytest.fixture
def console(hub_env: HubEnv, worker: subprocess.Popen[bytes]) -> Iterator[str]:
    """Users, a dead letter of each kind, and a running `hub console`; its URL."""
    hub_env.env["HUB_CONSOLE_METRICS_TOKEN"] = METRICS_TOKEN
    add_user(hub_env, "olga", "operator")
    add_user(hub_env, "victor", "viewer")
    produce_broken_and_forged(hub_env, Runtime(hub_env.settings()))
    process, url = start_console(hub_env)
    yield url
    stop_process(process)


def _wait(driver: WebDriver, timeout: float) -> WebDriverWait[WebDriver]:
    return wait(driver, timeout)


def _letters(driver: WebDriver, url: str) -> None:
    open_page(driver, url, "/dead-letters", lambda d: shown(d, "#letter-list"))


def _status(driver: WebDriver, url: str, letter: str) -> str:
    """The letter's status on a fresh load of the dead-letters page ("" while it is missing)."""
    _letters(driver, url)
    found = driver.find_elements(By.XPATH, f"//input[@value='{letter}']/ancestor::tr//span")
    return found[0].text if found else ""


def _redrive(driver: WebDriver, url: str, letter: str, reason: str) -> str:
    _wait(driver, 60).until(lambda d: _status(d, url, letter) != "")
    driver.find_element(By.XPATH, f"//input[@value='{letter}']").click()
    driver.find_element(By.ID, "reason").send_keys(reason)
    driver.find_element(By.ID, "redrive").click()
    result = driver.find_element(By.ID, "redrive-result")
    _wait(driver, 20).until(lambda d: result.text != "")
    return str(result.text)


def _snapshot_at(driver: WebDriver, url: str) -> datetime:
    open_page(driver, url, "/overview", lambda d: shown(d, "#card-lag"))
    text = driver.find_element(By.ID, "status").text  # "Snapshot <iso> · ..."
    return datetime.fromisoformat(text.split()[1]) if text.startswith("Snapshot") else \
        datetime.min.replace(tzinfo=UTC)


def _metrics(url: str) -> str:
    request = urllib.request.Request(url + "/metrics",
                                     headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    with urllib.request.urlopen(request, timeout=10) as reply:
        return str(reply.read().decode())


def _redrive_audit(url: str) -> list[tuple[str, str | None]]:
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(select(m.audit.c.actor, m.audit.c.reason)
                            .where(m.audit.c.action == "dead_letter.redrive")).all()
    engine.dispose()
    return [(r.actor, r.reason) for r in rows]


@pytest.mark.slow(15)
def test_operator_redrives_and_sees_it_processed_viewer_is_refused(
        hub_env: HubEnv, console: str, browser: WebDriver, tmp_path: Path) -> None:
    settings = hub_env.settings()
    login(browser, console, "victor")
    assert "Refused" in _redrive(browser, console, FORGED, "viewer tries anyway")
    assert "needs role operator" in browser.find_element(By.ID, "redrive-result").text
    assert _redrive_audit(settings.effective_database_url) == []
    browser.find_element(By.ID, "logout").click()
    _wait(browser, 20).until(lambda d: d.current_url.endswith("/login"))

    login(browser, console, "olga")
    open_page(browser, console, "/groups", lambda d: "inburgering-hub" in shown(d, "#group-list"))
    _wait(browser, 60).until(lambda d: _status(d, console, FORGED) == "pending")
    assert _redrive(browser, console, FORGED, "store was locked, retry") == "Re-driven: 1"
    _wait(browser, 90).until(lambda d: _status(d, console, FORGED) == "resolved")
    assert _redrive_audit(settings.effective_database_url) == [
        ("console:olga", "store was locked, retry")]
    store = Store(settings.effective_database_url)
    wait_until(lambda: store.count("fact") == 1)
    store.close()
    # a snapshot taken after the fact was stored: group caught up, agent alive, both listed
    stored_at = datetime.now(UTC)
    _wait(browser, 60).until(lambda d: _snapshot_at(d, console) > stored_at)
    open_page(browser, console, "/groups", lambda d: "-record" in shown(d, "#group-list")
              and "caught up" in shown(d, "#group-list"))
    _letters(browser, console)
    assert len(browser.find_elements(By.CSS_SELECTOR, "input.pick")) == 2
    open_page(browser, console, "/overview", lambda d: f"record:{EXAM}" in shown(d, "#agents")
              and "alive" in shown(d, "#agents"))
    metrics = _metrics(console)
    assert f'hub_agent_processing_latency_seconds_count{{agent="record:{EXAM}"}} 1.0' in metrics
    assert f'hub_dead_letters_total{{topic="{EXAM}"}} 2.0' in metrics
    assert 'hub_consumer_group_lag{group="inburgering-hub' in metrics
    browser.set_window_size(1400, 2400)
    shot = tmp_path / "console.png"
    browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000
    print(f"screenshot {shot}")
    _detail_and_resolve(browser, console, settings.effective_database_url, tmp_path)


def _detail_and_resolve(browser: WebDriver, console: str, url: str, tmp_path: Path) -> None:
    """The broken letter's detail page: error, source, attempts, masked original; resolved
    there with a reason, which its history then shows."""
    store = Store(url)
    broken = next(x for x in list_letters(store.engine) if x.error_type == "UnknownSchema")
    store.close()
    browser.get(console + "/dead-letter?id=" + quote(broken.letter_id, safe=""))
    _wait(browser, 30).until(lambda d: d.find_element(By.ID, "letter-status").text == "pending")
    letter = browser.find_element(By.ID, "letter").text
    assert "UnknownSchema" in letter and broken.letter_id in letter
    assert f"{EXAM} [{broken.source_partition}] @{broken.source_offset}" in letter
    assert "UnknownSchema" in browser.find_element(By.ID, "original").text  # decoded: refused
    assert "A re-drive goes to topic " + EXAM in browser.find_element(By.ID, "redrive-to").text
    browser.find_element(By.ID, "reason").send_keys("exam result lost at the school")
    browser.find_element(By.ID, "resolve").click()
    _wait(browser, 30).until(
        lambda d: d.find_element(By.ID, "letter-status").text == "discarded")
    history = browser.find_element(By.ID, "history").text
    assert "dead_letter.resolve" in history and "console:olga" in history
    assert "exam result lost at the school" in history
    assert not browser.find_element(By.ID, "resolve").is_enabled()
    assert browser.find_element(By.ID, "redrive-to").text == "Settled."
    browser.save_screenshot(str(tmp_path / "dead-letter.png"))
