"""The dashboard and the report in a real browser: Debian's Chromium, headless, driven by
Playwright (launched by its path; no browser is downloaded). Every page opens in Chinese
and English with every chart drawn, no console error and no request leaving the machine;
a customer is found and opened; an outcome is recorded from the action list with one
click; a viewer sees contacts masked and no operator page; the
report draws every chart with the network cut off. Screenshots of each page go to
test-output/screenshots for a reviewer to look at."""

from __future__ import annotations

import re
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest
from service_helpers import HOSTILE_NAME

from tenure.service import PAGES

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
SHOTS = Path(__file__).parents[2] / "test-output" / "screenshots"
MASKED = re.compile(r"\d{3}\*{4}\d{4}")

if shutil.which(CHROMIUM) is None and not Path(CHROMIUM).exists():  # pragma: no cover
    pytest.skip("Chromium is not installed: make test installs it with apt-get",
                allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def base_url(app):
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


class Watched:
    """A page whose console errors and requests are kept."""

    def __init__(self, context, base: str) -> None:
        self.page = context.new_page()
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.base = base

    def login(self, token: str) -> None:
        self.page.goto(f"{self.base}/login")
        self.page.fill("input[name=token]", token)
        self.page.click("button[type=submit]")
        self.page.wait_for_load_state("networkidle")

    def open(self, path: str):
        response = self.page.goto(f"{self.base}{path}")
        self.page.wait_for_load_state("networkidle")
        return response

    def charts_drawn(self) -> int:
        """Wait for every chart; each must be an SVG with marks. Returns how many."""
        self.page.wait_for_function(
            "[...document.querySelectorAll('div.chart')].every("
            "c => c.dataset.rendered || c.dataset.failed)", timeout=30_000)
        charts = self.page.eval_on_selector_all("div.chart", """cs => cs.map(c => ({
            failed: c.dataset.failed ? c.textContent : null,
            marks: c.querySelectorAll('svg g.role-mark > *, svg g.role-mark path').length}))""")
        assert all(c["failed"] is None for c in charts), charts
        assert all(c["marks"] > 0 for c in charts), charts
        return len(charts)


def _context(browser, language: str):
    return browser.new_context(viewport={"width": 1300, "height": 900},
                               locale="zh-CN" if language == "zh" else "en-US")


@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_page_opens_with_its_charts_drawn(browser, base_url, shop, language):
    context = _context(browser, language)
    watched = Watched(context, base_url)
    watched.login(shop.tokens["admin"])
    paths = [page.path for page in PAGES] + [f"/customers/{shop.own_customer}", "/jobs"]
    drawn = 0
    for path in paths:
        response = watched.open(path)
        assert response.status == 200, path
        if watched.page.locator("section[hx-trigger=load]").count():
            watched.page.wait_for_selector("section[hx-trigger=load]", state="detached",
                                           timeout=120_000)
        drawn += watched.charts_drawn()
        nav = watched.page.inner_text("header.top nav")
        assert ("概览" in nav) == (language == "zh"), (path, nav)
        assert watched.page.locator("div.error").count() == 0 or path == "/sla", (
            path, watched.page.inner_text("div.error"))
        name = path.strip("/").replace("/", "-") or "home"
        watched.page.screenshot(path=str(SHOTS / f"{language}-{name}.png"), full_page=True)
    assert drawn >= 12
    assert not watched.errors, watched.errors
    assert all(url.startswith(base_url) for url in watched.requests), [
        url for url in watched.requests if not url.startswith(base_url)]
    context.close()


def test_a_customer_is_found_and_opened(browser, base_url, shop):
    context = _context(browser, "en")
    watched = Watched(context, base_url)
    watched.login(shop.tokens["operator"])
    watched.open("/customers")
    watched.page.fill("input[name=query]", shop.own_customer)
    watched.page.wait_for_function(
        f"document.querySelector('#results a[href$=\"{shop.own_customer}\"]') !== null",
        timeout=15_000)
    watched.page.click(f"#results a[href$='{shop.own_customer}']")
    watched.page.wait_for_load_state("networkidle")
    assert watched.page.url.endswith(f"/customers/{shop.own_customer}")
    watched.charts_drawn()
    facts = watched.page.inner_text("#s0")
    assert shop.own_customer in facts and re.search(r"\b1\d{10}\b", facts)
    watched.page.screenshot(path=str(SHOTS / "en-profile-operator.png"), full_page=True)
    # A name holding markup shows as text, and runs nothing.
    watched.open("/customers?query=%3Cimg")
    assert HOSTILE_NAME in watched.page.inner_text("#results")
    assert not watched.errors, watched.errors
    context.close()


def test_an_outcome_is_recorded_with_one_click_and_shown(browser, base_url, shop):
    context = _context(browser, "en")
    watched = Watched(context, base_url)
    watched.login(shop.tokens["owner"])
    watched.open("/actions")
    form = watched.page.locator("form.outcome").last
    customer = form.locator("input[name=customer_id]").get_attribute("value")
    with watched.page.expect_navigation():
        form.locator("button[value=replied]").click()
    watched.page.wait_for_load_state("networkidle")
    assert watched.page.url.startswith(f"{base_url}/actions")
    row = watched.page.locator("tr", has_text=customer).first.inner_text()
    assert "replied" in row and shop.owner in row, row
    owners = watched.page.eval_on_selector_all(
        "table.data tbody tr td:nth-child(2)", "cells => cells.map(c => c.textContent)")
    assert set(owners) == {shop.owner}  # an owner's token lists that owner's actions only
    watched.page.screenshot(path=str(SHOTS / "en-actions-recorded.png"), full_page=True)
    assert not watched.errors, watched.errors
    context.close()


def test_a_viewer_sees_masked_contacts_and_no_operator_page(browser, base_url, shop):
    context = _context(browser, "zh")
    watched = Watched(context, base_url)
    watched.login(shop.tokens["viewer"])
    watched.open(f"/customers/{shop.own_customer}")
    facts = watched.page.inner_text("#s0")
    assert MASKED.search(facts) and not re.search(r"\b1\d{10}\b", facts)
    assert "/at-risk" not in watched.page.inner_html("header.top nav")
    refused = watched.open("/at-risk")
    assert refused.status == 403
    assert "运营人员" in watched.page.inner_text("div.error")  # "the operator role"
    watched.page.screenshot(path=str(SHOTS / "zh-viewer-refused.png"), full_page=True)
    context.close()


def test_the_report_draws_every_chart_with_the_network_cut_off(browser, shop, tmp_path):
    from tenure.report import write_report
    from tenure.workspace import Workspace

    with Workspace(shop.path) as ws:
        written = write_report(ws, tmp_path / "report.html", language="zh")
    context = _context(browser, "zh")
    blocked: list[str] = []

    def cut(route):
        if route.request.url.startswith("file://"):
            return route.continue_()
        blocked.append(route.request.url)
        return route.abort()

    context.route("**/*", cut)
    watched = Watched(context, "file://")
    watched.page.goto(written.path.as_uri())
    assert watched.charts_drawn() == written.charts >= 10
    assert not blocked and not watched.errors, (blocked, watched.errors)
    assert "客户留存报告" in watched.page.inner_text("header")
    watched.page.screenshot(path=str(SHOTS / "zh-report.png"), full_page=True)
    context.close()
