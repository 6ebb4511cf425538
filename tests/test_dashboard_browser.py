"""The generated dashboard in a real headless Chromium (Debian's, driven by playwright)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from synthetic_outputs import XSS_TITLES, build

from pipeline.report.browser import FLAGS
from pipeline.stages import dashboard, trends

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} not installed: run `make browser`"
    ),
]


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    profile = tempfile.mkdtemp(prefix="papertrends-test-chromium-")
    with sync_api.sync_playwright() as p:
        # A persistent context is the way to give Chromium a fresh --user-data-dir of our own.
        ctx = p.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=[f for f in FLAGS if f != "--headless"],
            viewport={"width": 1400, "height": 1000},
        )
        yield ctx
        ctx.close()
    shutil.rmtree(profile, ignore_errors=True)


def _open(ctx, html: Path):
    page = ctx.new_page()
    events = {"errors": [], "dialogs": []}
    page.on("console", lambda m: m.type == "error" and events["errors"].append(m.text))
    page.on("pageerror", lambda e: events["errors"].append(str(e)))

    def dialog(d):
        events["dialogs"].append(d.message)
        d.dismiss()

    page.on("dialog", dialog)
    page.goto(html.resolve().as_uri())
    page.wait_for_load_state("load")
    return page, events


@pytest.fixture(scope="module")
def loaded(browser, tmp_path_factory):
    cfg = build(tmp_path_factory.mktemp("browser"))
    trends.run(cfg)
    page, events = _open(browser, dashboard.run(cfg))
    yield page, events
    page.close()


def test_loads_without_errors_and_every_chart_renders(loaded):
    page, events = loaded
    assert events["errors"] == []
    charts = page.eval_on_selector_all(
        ".chart",
        "els => els.map(e => [e.id, e.classList.contains('js-plotly-plot'),"
        " e.querySelectorAll('svg.main-svg').length, e.offsetParent !== null])",
    )
    assert len(charts) == 7
    for div_id, plotted, svgs, visible in charts:
        assert visible, div_id
        assert plotted and svgs > 0, div_id
    assert page.locator("#chart-theme-trends .scatterlayer .trace").count() == 3
    assert page.locator("#chart-topic-map .scatterlayer .trace").count() >= 5
    assert page.locator("#chart-compare-sankey .sankey-link").count() == 4
    assert page.is_hidden("#compare-sankey-note")
    assert page.is_hidden("#compare-placeholder")
    assert page.locator("#rising-topics li b").all_text_contents() == ["1: anomaly_<i>zero</i>"]
    assert page.locator("#rising-themes li b").all_text_contents() == ["Anomaly detection"]


def test_injected_titles_never_run(loaded):
    page, events = loaded
    assert page.evaluate("window.__xss") is None
    assert events["dialogs"] == []
    page.fill("#search", "anomaly detection")  # a row holding the <img onerror> title
    cells = page.eval_on_selector_all(
        "#paper-rows td:first-child", "els => els.map(e => e.textContent)"
    )
    assert XSS_TITLES[0] in cells
    assert page.locator("#paper-rows img").count() == 0
    page.hover("#chart-topic-map .scatterlayer .trace .point >> nth=0", force=True)
    page.wait_for_timeout(200)
    assert page.evaluate("window.__xss") is None and events["dialogs"] == []
    assert page.locator("#compare-summary li").nth(1).text_content() == XSS_TITLES[1]


def test_the_page_opens_with_the_digest(loaded):
    page, _ = loaded
    first = page.eval_on_selector("main > section", "e => e.id")
    assert first == "digest"
    assert page.is_hidden("#digest-placeholder")
    text = page.text_content("#digest-content")
    assert "dump d2" in text and "12/80 -> 30/90" in text and "12 new" in text
    # The untrusted title is text, and the reason is a tooltip attribute, never markup.
    assert XSS_TITLES[0] in text and page.locator("#digest-content img").count() == 0
    assert page.evaluate("window.__xss") is None


def _shown(page) -> int:
    return page.locator("#paper-rows tr").count()


def test_search_and_filters_change_the_rows(loaded):
    page, _ = loaded
    page.fill("#search", "")
    assert _shown(page) == 200  # the first page of 277
    page.fill("#search", "undated paper")
    assert _shown(page) == 3
    page.fill("#search", "")
    page.select_option("#theme-filter", "domain_adaptation")
    assert _shown(page) == 3
    page.select_option("#theme-filter", "")
    page.select_option("#topic-filter", "-1")
    outliers = _shown(page)
    assert 0 < outliers < 200
    assert set(
        page.eval_on_selector_all("#paper-rows td:nth-child(3)", "e => e.map(x => x.textContent)")
    ) == {"outliers"}
    page.select_option("#topic-filter", "")
    page.click("#more-rows")
    assert _shown(page) == 277
    assert "277 in all" in page.text_content("#row-count")


def test_theme_cells_explain_why(loaded):
    page, _ = loaded
    page.fill("#search", "")
    cells = page.eval_on_selector_all(
        "#paper-rows td:nth-child(4)", "e => e.map(x => [x.textContent, x.title])"
    )
    with_themes = [c for c in cells if c[0].replace("(review)", "").strip()]
    assert with_themes and all("because of" in why for _, why in with_themes)
    assert any(text.endswith("(review)") for text, _ in cells)


def test_toggles_switch_the_charts(loaded):
    page, _ = loaded
    title = "#chart-theme-trends .g-ytitle"
    assert "share" in page.text_content(title)
    page.click("#chart-theme-trends .updatemenu-button >> nth=1")
    page.wait_for_timeout(300)
    assert page.text_content(title) == "papers"
    before = page.eval_on_selector_all("#chart-topic-map .legend .traces", "e => e.length")
    page.click("#chart-topic-map .updatemenu-button >> nth=1")
    page.wait_for_timeout(300)
    after = page.eval_on_selector_all("#chart-topic-map .legend .traces", "e => e.length")
    assert before == 5 and after == 4  # 5 topic traces, then 3 themes + "no theme"


def test_placeholder_without_compare(browser, tmp_path):
    cfg = build(tmp_path, compare=False)
    trends.run(cfg)
    page, events = _open(browser, dashboard.run(cfg))
    assert events["errors"] == []
    assert page.is_visible("#compare-placeholder")
    assert "compare" in page.text_content("#compare-placeholder")
    assert page.is_hidden("#compare-content")
    assert page.is_visible("#digest-placeholder")
    page.close()


def test_a_pair_without_drift_draws_a_note_not_a_broken_sankey(browser, tmp_path):
    """Snapshots too small for their own topic models (the seeds' pair: 107 and 57 papers)
    have no drift links; plotly's Sankey with no link threw "Invalid array length" and drew
    nothing. The page says so in words instead."""
    import json

    cfg = build(tmp_path)
    pair = cfg.stage_dir("compare") / "d1__d2.json"
    doc = json.loads(pair.read_text("utf-8"))
    doc["drift"] = {"from_topics": [], "to_topics": [], "links": []}
    pair.write_text(json.dumps(doc), "utf-8")
    trends.run(cfg)
    page, events = _open(browser, dashboard.run(cfg))
    page.wait_for_timeout(500)
    assert events["errors"] == []
    assert page.is_hidden("#chart-compare-sankey")
    assert page.is_visible("#compare-sankey-note")
    assert "No topic drift to draw" in page.text_content("#compare-sankey-note")
    page.close()


PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def hello(tmp_path):
    html = tmp_path / "page.html"
    html.write_text("<!DOCTYPE html><html><body><h1>hello</h1></body></html>", "utf-8")
    return html


@pytest.fixture
def without_playwright(monkeypatch):
    """browser.capture as it runs when playwright fails: its fallbacks."""
    from playwright.sync_api import Error

    from pipeline.report import browser

    def broken(*args):
        raise Error("no page for you")

    monkeypatch.setattr(browser, "_full_page", broken)


def test_screenshot_helper_writes_a_png(hello, tmp_path):
    from pipeline.report.browser import capture

    png = tmp_path / "shot.png"
    assert capture(hello, png, {}, width=400, height=300) == [png]
    assert png.read_bytes()[:8] == PNG


def test_screenshot_falls_back_to_chromium_cli(hello, tmp_path, without_playwright):
    from pipeline.report.browser import capture

    png = tmp_path / "shot.png"
    assert capture(hello, png, {}, width=400, height=300) == [png]
    assert png.read_bytes()[:8] == PNG


CHARTS = ["theme_counts.png", "theme_shares.png", "topic_shares.png", "topic_slopes.png"]


def _with_charts(root: Path, screenshot: bool = True):
    cfg = build(root)
    cfg.dashboard.screenshot, cfg.dashboard.plots = screenshot, True
    trends.run(cfg)
    dashboard.run(cfg)
    return cfg.stage_dir("dashboard")


def test_the_stage_writes_the_screenshot_and_the_charts_in_one_browser(tmp_path):
    out = _with_charts(tmp_path)
    assert sorted(p.name for p in (out / "plots").iterdir()) == CHARTS
    for png in [out / "screenshot.png", *(out / "plots" / name for name in CHARTS)]:
        assert png.read_bytes()[:8] == PNG, png.name
    # Drawn at the chart width, not the page's.
    assert int.from_bytes((out / "plots" / CHARTS[0]).read_bytes()[16:20], "big") == 1000


@pytest.mark.slow
def test_same_inputs_same_chart_bytes_with_or_without_a_screenshot(tmp_path):
    """Without a screenshot the charts are drawn in a page of their own, which loads only
    plotly.js; with one, in the dashboard's page: the same pictures either way."""
    a, b = _with_charts(tmp_path / "a"), _with_charts(tmp_path / "b", screenshot=False)
    assert not (b / "screenshot.png").exists()
    for name in CHARTS:
        assert (a / "plots" / name).read_bytes() == (b / "plots" / name).read_bytes(), name


def test_charts_fall_back_to_kaleido_without_playwright(hello, tmp_path, without_playwright):
    import plotly.graph_objects as go

    from pipeline.report.browser import capture

    chart = tmp_path / "chart.png"
    written = capture(hello, None, {chart: go.Figure(go.Bar(x=[1, 2], y=[3, 4]))})
    assert written == [chart] and chart.read_bytes()[:8] == PNG
