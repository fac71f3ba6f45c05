"""Every console page in real headless Chromium at 390, 768 and 1280 px, light and dark, on a
real broker and store: what is visible on each, the message browser's filters and pages, an
offset reset with its dry run, the case page's toggle, keyboard navigation, and a user limited
to gemeente 0392 who sees only that gemeente's case, messages, dead letters and audit rows."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select

from tests.integration.browser_support import (
    WIDTHS,
    chromium,
    errors,
    login,
    open_page,
    page_overflow,
    set_width,
    shown,
    viewport_width,
    wait,
)
from tests.integration.conftest import HubEnv, stop_process
from tests.integration.console_pages_support import HAARLEM, Seeded, seed
from tests.integration.console_support import EXAM, start_console

pytestmark = pytest.mark.integration


def _today() -> str:
    return datetime.now(ZoneInfo("Europe/Amsterdam")).date().isoformat()


@pytest.fixture
def site(hub_env: HubEnv) -> Iterator[tuple[str, Seeded]]:
    """The seeded hub and a running `hub console`: (its URL, what was seeded)."""
    seeded = seed(hub_env)
    process: subprocess.Popen[bytes]
    process, url = start_console(hub_env)
    yield url, seeded
    stop_process(process)


def _rows(driver: WebDriver, css: str) -> list[str]:
    return [r.text for r in driver.find_elements(By.CSS_SELECTOR, f"{css} tbody tr")]


def _pages(s: Seeded) -> list[tuple[str, str, str]]:
    """(hash path, element that must be displayed, text it must show)."""
    total = sum(s.exams.values())
    return [
        ("/overview", "#card-dead", "2 pending"),
        ("/topics", "#topic-list", EXAM),
        (f"/topics?topic={EXAM}", "#browse-info", f"{total} shown of {total} read"),
        ("/groups", "#group-list", s.group),
        (f"/groups?group={s.group}", "#group", "total lag 2"),
        (f"/schemas?topic={EXAM}", "#schema-value", "BACKWARD: compatible"),
        ("/dead-letters", "#letter-list", "2 dead letter(s)"),
        (f"/case?ref={s.haarlem}", "#case-timeline", "Examenresultaat"),
        ("/audit", "#audit-rows", "case.lookup"),
        ("/reports", "#report-list", "file(s)"),
    ]


def _every_page_at_every_width(driver: WebDriver, url: str, s: Seeded) -> None:
    for width in WIDTHS:
        set_width(driver, width)
        for path, css, text in _pages(s):
            open_page(driver, url, path, lambda d, c=css, t=text: t in shown(d, c))
            assert viewport_width(driver) == width, (path, width)  # the viewport meta works
            assert page_overflow(driver) <= 0, (path, width, page_overflow(driver))
            assert shown(driver, "#nav"), (path, width)  # the navigation stays on screen
            assert [e for e in errors(driver) if "favicon" not in e] == [], (path, width)
        print(f"{width} px: {len(_pages(s))} pages shown without page-wide scrolling")


def _browser_filters_and_pages(driver: WebDriver, url: str, s: Seeded) -> None:
    set_width(driver, 1280)
    path = f"/topics?topic={EXAM}&key={s.amsterdam}"
    open_page(driver, url, path, lambda d: "shown of" in shown(d, "#browse-info"))
    keys = [r.find_element(By.CSS_SELECTOR, "td.key").text
            for r in driver.find_elements(By.CSS_SELECTOR, "#messages tbody tr")]
    assert keys == [s.amsterdam] * s.exams[s.amsterdam]
    heads = [h.text for h in driver.find_elements(By.CSS_SELECTOR, "#messages thead th")]
    assert heads[:5] == ["partition", "offset", "time", "key", "headers"]
    stamp = driver.find_element(By.CSS_SELECTOR, "#messages time")
    assert stamp.get_attribute("title").startswith("UTC ") and "-" in stamp.text
    open_page(driver, url, f"/topics?topic={EXAM}&grep=no-such-text-anywhere",
              lambda d: "0 shown" in shown(d, "#browse-info"))
    open_page(driver, url, f"/topics?topic={EXAM}&seek=oldest&limit=2",
              lambda d: "2 shown" in shown(d, "#browse-info"))
    seen: list[tuple[str, str]] = []
    for _ in range(sum(s.exams.values())):  # page through everything, two at a time
        rows = _rows(driver, "#messages")
        seen += [(r.split()[0], r.split()[1]) for r in rows if r != "none"]
        more = driver.find_elements(By.ID, "next-page")
        if not more or len(rows) < 2:
            break
        more[0].click()
        wait(driver).until(lambda d, old=rows: old != _rows(d, "#messages") != [])
    assert len(seen) == len(set(seen)) == sum(s.exams.values())


def _admin_unmasks_a_page_with_a_reason(driver: WebDriver, url: str) -> None:
    open_page(driver, url, f"/topics?topic={EXAM}",
              lambda d: "shown of" in shown(d, "#browse-info"))
    text = "return document.getElementById('messages').textContent"
    assert "•••" in driver.execute_script(text)
    assert not re.search(r'"bsn": ?"\d{9}"', driver.execute_script(text))
    driver.find_element(By.ID, "unmask").click()
    wait(driver).until(lambda d: "Refused" in shown(d, "#unmask-result"))
    driver.find_element(By.ID, "unmask-reason").send_keys("verify a DUO complaint")
    driver.find_element(By.ID, "unmask").click()
    wait(driver).until(lambda d: re.search(r'"bsn": ?"\d{9}"', d.execute_script(text)))
    open_page(driver, url, "/audit?action=bsn.unmask",
              lambda d: "verify a DUO complaint" in shown(d, "#audit-rows"))


def _reset_with_dry_run(driver: WebDriver, url: str, s: Seeded) -> None:
    open_page(driver, url, f"/groups?group={s.group}", lambda d: shown(d, "#reset"))
    Select(driver.find_element(By.ID, "r-spec")).select_by_value("latest")
    driver.find_element(By.ID, "reset-preview").click()
    wait(driver).until(lambda d: "Dry run: nothing written" in shown(d, "#reset-result"))
    driver.find_element(By.ID, "reset-apply").click()
    wait(driver).until(lambda d: "reason" in shown(d, "#reset-result"))
    driver.find_element(By.ID, "r-reason").send_keys("replay the koppelingen")
    driver.find_element(By.ID, "reset-apply").click()
    wait(driver).until(lambda d: "Reset applied" in shown(d, "#reset-result"))
    open_page(driver, url, f"/groups?group={s.group}",
              lambda d: "total lag 0" in shown(d, "#group"))
    open_page(driver, url, "/audit?action=consumer_group.",
              lambda d: "replay the koppelingen" in shown(d, "#audit-rows"))


def _case_toggle_keyboard_and_dark(driver: WebDriver, url: str, s: Seeded) -> None:
    open_page(driver, url, f"/case?ref={s.haarlem}", lambda d: shown(d, "#case-fields"))
    assert not driver.find_element(By.ID, "raw-json").is_displayed()
    assert HAARLEM in shown(driver, "#case-residences")
    assert "Effect ledger" in shown(driver, "#case-ledger")
    assert "Nothing sent for this case yet" in shown(driver, "#case-ledger") or \
        "geldt" in shown(driver, "#case-ledger table")
    driver.find_element(By.ID, "raw-toggle").click()
    assert s.haarlem in shown(driver, "#raw-json")
    open_page(driver, url, "/overview", lambda d: shown(d, "#card-lag"))
    body = driver.find_element(By.TAG_NAME, "body")
    for _ in range(12):  # skip link, brand, then the navigation links in order
        body = driver.switch_to.active_element
        if body.text == "Topics":
            break
        body.send_keys(Keys.TAB)
    assert driver.switch_to.active_element.text == "Topics"
    driver.switch_to.active_element.send_keys(Keys.ENTER)
    wait(driver).until(lambda d: EXAM in shown(d, "#topic-list"))
    set_width(driver, 768, dark=True)
    open_page(driver, url, "/overview", lambda d: shown(d, "#card-lag"))
    rgb = driver.execute_script("return getComputedStyle(document.body).backgroundColor")
    assert sum(int(x) for x in rgb[rgb.index("(") + 1:-1].split(",")[:3]) < 150, rgb


def _make_report(driver: WebDriver, url: str, gemeente: str | None) -> None:
    open_page(driver, url, "/reports", lambda d: shown(d, "#report-form"))
    if gemeente is not None:
        driver.find_element(By.ID, "rep-gemeente").send_keys(gemeente)
    driver.find_element(By.CSS_SELECTOR, "#report-form button").click()
    wait(driver, 60).until(lambda d: "-0" in shown(d, "#report-list"))


def _fetch_status(driver: WebDriver, path: str) -> int:
    return int(driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0], {credentials: 'same-origin'}).then((r) => done(r.status));", path))


def _scoped_user_sees_only_haarlem(driver: WebDriver, url: str, s: Seeded) -> None:
    set_width(driver, 390)
    login(driver, url, "gina")
    _make_report(driver, url, None)  # a scoped user picks from their own gemeenten
    listed = shown(driver, "#report-list")
    assert "-0392" in listed and "-0363" not in listed
    assert _fetch_status(driver, "/api/reports/file/aansluitrapport-"
                         f"{_today()}-0363.html") == 403
    assert "0392" in shown(driver, "#who")
    open_page(driver, url, f"/case?ref={s.amsterdam}",
              lambda d: "not in your gemeenten" in shown(d, "#view"))
    open_page(driver, url, f"/case?ref={s.haarlem}",
              lambda d: "Shown for gemeente 0392" in shown(d, "#case-fields"))
    open_page(driver, url, "/dead-letters",
              lambda d: "1 dead letter(s)" in shown(d, "#letter-list"))
    assert s.haarlem in shown(driver, "#letter-list") and s.amsterdam not in shown(
        driver, "#letter-list")
    open_page(driver, url, f"/topics?topic={EXAM}", lambda d: "hidden" in shown(d, "#browse-info"))
    keys = {r.find_element(By.CSS_SELECTOR, "td.key").text
            for r in driver.find_elements(By.CSS_SELECTOR, "#messages tbody tr")}
    assert keys == {s.haarlem}
    open_page(driver, url, "/audit", lambda d: "console.refused" in shown(d, "#audit-rows"))
    about_amsterdam = [r for r in _rows(driver, "#audit-rows") if s.amsterdam in r]
    assert about_amsterdam and all("console:gina console.refused" in r for r in about_amsterdam)
    csv = driver.execute_async_script(
        "const done = arguments[0]; fetch('/api/audit?format=csv', {credentials: 'same-origin'})"
        ".then((r) => r.text()).then(done);")
    assert csv.startswith("id,at,actor,action,entity,entity_id,reason,old,new")
    assert "case.lookup" in csv and f"case.lookup,case,{s.amsterdam}" not in csv


@pytest.mark.slow(90)
def test_every_page_at_three_widths_and_the_flows_operators_use(
        site: tuple[str, Seeded], tmp_path: Path) -> None:
    url, s = site
    with chromium(tmp_path / "profile") as driver:
        for width in WIDTHS:  # the login page too
            set_width(driver, width)
            driver.get(url + "/login")
            assert driver.find_element(By.ID, "submit").is_displayed()
            assert viewport_width(driver) == width and page_overflow(driver) <= 0
        login(driver, url, "ada")
        open_page(driver, url, f"/case?ref={s.amsterdam}", lambda d: shown(d, "#case-fields"))
        _every_page_at_every_width(driver, url, s)
        _browser_filters_and_pages(driver, url, s)
        _admin_unmasks_a_page_with_a_reason(driver, url)
        _reset_with_dry_run(driver, url, s)
        _case_toggle_keyboard_and_dark(driver, url, s)
        _make_report(driver, url, "0363")
        assert "-0363" in shown(driver, "#report-list")
        _scoped_user_sees_only_haarlem(driver, url, s)
        shot = tmp_path / "console-390.png"
        driver.save_screenshot(str(shot))
        assert shot.stat().st_size > 5_000
