"""The report in a real browser: Debian's Chromium, driven by Playwright, opens
the file from disk (no server, no network) and shows the charts and the evidence.
.ci/run installs Chromium where it is missing; elsewhere the test is skipped with a reason."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .conftest import ROOT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")
SCREENSHOTS = ROOT / "outputs" / "local"


@pytest.fixture(scope="module")
def page(seed_run):
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        tab = browser.new_page(viewport={"width": 1280, "height": 900})
        requests: list[str] = []
        tab.on("request", lambda r: requests.append(r.url))
        tab.goto((seed_run / "report.html").as_uri())
        tab.requests = requests
        yield tab
        browser.close()


def test_the_report_shows_four_charts_at_a_readable_size(page):
    charts = page.locator("figure svg")
    assert charts.count() == 4
    for i in range(4):
        box = charts.nth(i).bounding_box()
        assert box["width"] >= 600 and box["height"] >= 250
    assert page.locator("figcaption").first.is_visible()


def test_a_share_in_the_theme_table_leads_to_its_highlighted_evidence(page):
    link = page.locator("table a[href^='#ev-scam_centres']").first
    link.click()
    target = page.locator(":target")
    assert target.is_visible() and "sentences" in target.inner_text()
    evidence = page.locator("table.kwic").filter(has=page.locator("mark", has_text="scam")).first
    assert evidence.is_visible()
    assert "Bali Process Working Group" in evidence.inner_text()  # the statement is named


def test_the_report_loads_nothing_but_itself_and_a_screenshot_is_saved(page, tmp_path):
    assert all(url.startswith("file://") for url in page.requests), page.requests
    page.goto(page.url.split("#")[0])
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOTS / "report-screenshot.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 50_000
