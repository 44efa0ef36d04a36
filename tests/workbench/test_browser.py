"""The workbench page in headless Debian Chromium (Playwright), against the real server (uvicorn in a thread)
on a temporary workspace: the Lu County plan's form, a budget typed wrong and then right, save, two runs
(the bundled plan and the planner's variant, at the same time), the outcome and the map, a 3-level
what-if and the comparison of the two runs. Offline: any request off this server fails the test.

Like tests/optimizer/test_maps.py: without Chromium or Playwright it fails when CI=true and skips
elsewhere.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import uvicorn

from optimizer.inputs.scenario_loading import load_scenario
from optimizer.workbench.app import create_app
from optimizer.workbench.workspace import Workspace
from tests.browser import headless_chromium
from tests.support import ROOT

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.slow

NEW_BUDGET = 1_200_000_000
"""Above the 1,020 M at which Lu meets every target: a budget below it makes the MIP reach its time limit."""


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return Workspace.create(tmp_path / "workbench", ROOT / "scenarios")


@pytest.fixture
def server(workspace: Workspace) -> Iterator[str]:
    """The workbench on a free port of 127.0.0.1, served by uvicorn in a thread."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    uvicorn_server = uvicorn.Server(
        uvicorn.Config(create_app(workspace), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=uvicorn_server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not uvicorn_server.started:
        assert time.monotonic() < deadline, "the workbench server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    uvicorn_server.should_exit = True
    thread.join(timeout=20)


@pytest.fixture
def page(server: str) -> Iterator[Page]:
    with headless_chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        foreign: list[str] = []

        def offline(route: Any) -> None:
            url = route.request.url
            if url.startswith(server) or url.startswith(("data:", "about:")):
                route.continue_()
            else:
                foreign.append(url)
                route.abort()

        page.route("**/*", offline)
        page.set_default_timeout(20_000)
        page.goto(server + "/")
        yield page
        assert not foreign, f"the page reached off the server: {foreign[:5]}"


def set_slider(page: Page, selector: str, value: int) -> None:
    page.locator(selector).evaluate(
        "(e, v) => { e.value = v; e.dispatchEvent(new Event('input', { bubbles: true })); }", value
    )


def test_plan_edit_run_whatif_and_compare_in_the_page(page: Page, workspace: Workspace, tmp_path: Path) -> None:
    budget = page.locator('input[data-path="budget.budget_cny.value"]')
    budget.wait_for()
    assert page.locator("#scenario-select").input_value() == "bundled/lu_county"
    assert "泸县" in page.locator("#scenario-title").inner_text()
    beds = page.locator('tr[data-target="beds_per_1000"]')
    assert "003_73fe565c888d90cc.txt:L204" in beds.inner_text()
    assert page.locator('input[data-path="targets[beds_per_1000].value"]').input_value() == "7.11"

    # the bundled plan runs while the planner edits a copy
    page.click('#tabs button[data-tab="run"]')
    page.click("#run-button")
    page.locator("#job-status [data-status]").wait_for()
    page.click('#tabs button[data-tab="form"]')

    budget.fill("一亿")
    error = page.locator('[data-field="budget.budget_cny.value"] .error')
    page.wait_for_function("document.querySelector('#check-status').textContent.startsWith('发现')")
    assert "valid number" in error.inner_text()
    budget.fill(str(NEW_BUDGET))
    page.wait_for_function("document.querySelector('#check-status').textContent.startsWith('校验通过')")
    assert error.inner_text() == ""
    assert "12.00 亿元" in page.locator("#budget-yi").inner_text()
    page.fill('input[data-path="targets[beds_per_1000].value"]', "7.6")  # more beds than Lu's plan places
    page.wait_for_function("document.querySelector('#check-status').textContent.includes('修改 2 处')")
    page.screenshot(path=str(tmp_path / "workbench-form.png"), full_page=False)
    page.fill("#save-name", "lu_browser")
    page.fill("#save-note", "浏览器测试")
    page.click("#save-button")
    page.wait_for_function("document.querySelector('#save-status').textContent.startsWith('已保存')")
    assert page.locator("#scenario-select").input_value() == "workspace/lu_browser"
    saved = load_scenario(workspace.scenarios / "lu_browser.toml")
    assert saved.budget.budget_cny.value == NEW_BUDGET
    assert next(t.value for t in saved.targets if t.id == "beds_per_1000") == 7.6

    # run the variant: phases, then the outcome in words, targets, map and facilities
    page.click('#tabs button[data-tab="run"]')
    page.click("#run-button")
    page.locator('#job-status [data-status="done"]').wait_for(timeout=120_000)
    page.locator("#run-result").wait_for()
    assert page.locator("#run-name").inner_text() == "lu_browser-1"
    words = page.locator("#outcome-words").inner_text()
    assert words.startswith("已求得最优方案") and "预算 12.00 亿元" in words
    assert page.locator("#result-targets tbody tr").count() == 14
    assert page.locator("#map-frame").get_attribute("src") == "/api/runs/lu_browser-1/files/map.html"
    page.frame_locator("#map-frame").locator(".leaflet-container").wait_for()
    assert page.locator("#result-facilities tbody tr").count() == 25
    assert page.locator('#downloads a[download="map.html"]').count() == 1
    page.screenshot(path=str(tmp_path / "workbench-run.png"), full_page=False)

    # what-if: 3 budget levels from 95 % to 120 %
    page.click('#tabs button[data-tab="whatif"]')
    set_slider(page, "#whatif-low", 95)
    set_slider(page, "#whatif-high", 120)
    set_slider(page, "#whatif-steps", 3)
    assert page.locator("#whatif-steps-out").inner_text() == "3"
    page.click("#whatif-run")
    page.locator('#whatif-job [data-status="done"]').wait_for(timeout=180_000)
    points = page.locator("#tradeoff-svg .level-point")
    points.first.wait_for()
    assert points.count() == 3
    assert "（3/3）" in page.locator('#whatif-job [data-phase="solve"]').inner_text()
    points.nth(0).click()
    detail = page.locator("#level-detail").inner_text()
    assert "11.40 亿元" in detail and "方案预算的 95%" in detail
    page.screenshot(path=str(tmp_path / "workbench-whatif.png"), full_page=False)

    # compare the bundled run with the variant (the bundled run finished meanwhile)
    deadline = time.monotonic() + 120
    while not (workspace.runs / "lu_county-1" / "summary.json").is_file():
        assert time.monotonic() < deadline, "the bundled run did not finish"
        time.sleep(0.5)
    page.click('#tabs button[data-tab="compare"]')
    page.wait_for_function("document.querySelectorAll('#compare-a option').length >= 2")
    page.select_option("#compare-a", "lu_county-1")
    page.select_option("#compare-b", "lu_browser-1")
    page.click("#compare-button")
    page.locator("#compare-totals").wait_for()
    totals = page.locator("#compare-totals").inner_text()
    assert "预算（元）" in totals and "1,075,000,000" in totals and "1,200,000,000" in totals
    beds = page.locator('#compare-result table[data-kind="facility"] tbody tr', has_text="床位")
    assert beds.count() > 0  # the higher bed target places beds at some facilities
    page.screenshot(path=str(tmp_path / "workbench-compare.png"), full_page=False)
