"""Headless Chromium (Debian's `chromium`, see `make browser`) for the dashboard's screenshot and
the PNG charts that `dvc plots show` reads.

Both come from one browser, started before the page is written (`Session`); the charts are
drawn with `Plotly.toImage` (the call Kaleido makes). Without playwright (the test extra),
Kaleido draws the charts and Chromium's own --screenshot takes the top of the page.
"""

from __future__ import annotations

import base64
import json
import logging
import queue
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from plotly.graph_objects import Figure

log = logging.getLogger(__name__)

# The flags that work on a locked-down machine with no GPU and no network.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]
DRAWN = """async () => {
    await Promise.all(window.papertrendsDrawn || []);
    await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
}"""
CHART_HEIGHT = 500  # plotly.io's default image height, for a figure that sets none
TO_IMAGE = """async ({fig, width, height}) =>
    await Plotly.toImage({data: fig.data, layout: fig.layout}, {format: "png", width, height})"""


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def capture(
    html: Path,
    shot: Path | None,
    charts: dict[Path, Figure],
    width: int = 1400,
    height: int = 4200,
    chart_width: int = 1000,
    timeout: int = 120,
) -> list[Path]:
    """Screenshot `html` (file://) to `shot` and draw each chart to its PNG path; returns the
    files written. Nothing is written where there is no browser. `height`: the page height
    Chromium's --screenshot captures when playwright is not there."""
    with Session(shot is not None, width, chart_width, timeout) as session:
        return session.capture(html, shot, charts, height)


class Session:
    """A headless Chromium started before the page exists, for `capture` once it does.

    Starting Chromium takes about a second and plotly.js's own start-up two more: the browser
    starts in a thread of its own while the dashboard stage builds its page (playwright's sync
    API refuses to run where an event loop already runs, and its objects stay in the thread
    that made them). Without a screenshot, a blank page loads plotly.js there at once and the
    charts are drawn in it; with one, they are drawn in the dashboard's page, which has
    plotly.js loaded already (a second plotly.js start-up beside it cost more than it saved).
    """

    def __init__(
        self, screenshot: bool, width: int = 1400, chart_width: int = 1000, timeout: int = 120
    ):
        self.width, self.chart_width, self.timeout = width, chart_width, timeout
        self.exe = find_chromium()
        self._job: queue.Queue = queue.Queue()
        self._pool = self._done = None
        if self.exe is None:
            log.warning("no chromium found (run `make browser`): no screenshot and no PNG charts")
        elif _has_playwright():
            self._pool = ThreadPoolExecutor(max_workers=1)
            args = (self.exe, self._job, screenshot, width, chart_width, timeout)
            self._done = self._pool.submit(_full_page, *args)

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc) -> None:
        if self._pool is not None:
            self._job.put(None)  # a stage that failed before `capture`: the thread ends
            self._pool.shutdown(wait=True)

    def capture(
        self, html: Path, shot: Path | None, charts: dict[Path, Figure], height: int = 4200
    ) -> list[Path]:
        """What `capture` (the function) does, in the browser already started."""
        if self.exe is None:
            return []
        if self._done is not None:
            from playwright.sync_api import Error as PlaywrightError

            self._job.put((Path(html), shot, charts))
            try:
                return self._done.result()
            except PlaywrightError as e:
                log.warning("playwright failed (%s): Kaleido and Chromium's --screenshot", e)
        written = []
        if charts:
            import plotly.io as pio

            pio.write_images(list(charts.values()), list(charts), width=self.chart_width)
            written += list(charts)
        if shot is not None and _cli_screenshot(
            self.exe, Path(html), Path(shot), self.width, height, self.timeout
        ):
            written.append(Path(shot))
        return written


def _has_playwright() -> bool:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return True


def _cli_screenshot(exe: str, html: Path, png: Path, width: int, height: int, timeout: int):
    with tempfile.TemporaryDirectory(prefix="papertrends-chromium-") as profile:
        cmd = [
            exe,
            *FLAGS,
            f"--user-data-dir={profile}",
            f"--window-size={width},{height}",
            # Lets plotly finish drawing before the picture is taken.
            "--virtual-time-budget=15000",
            f"--screenshot={png}",
            html.resolve().as_uri(),
        ]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0 or not png.exists():
        log.warning("chromium could not take the screenshot: %s", done.stderr[-500:])
        return False
    log.info("wrote %s", png)
    return True


def _full_page(
    exe, job: queue.Queue, screenshot: bool, width: int, chart_width: int, timeout: int
) -> list[Path]:
    """The browser's thread: start Chromium (and plotly.js, when no screenshot is wanted), wait
    for the page, screenshot it once every chart in it is drawn, then draw the PNG charts."""
    from playwright.sync_api import sync_playwright

    written, ms = [], timeout * 1000
    with tempfile.TemporaryDirectory(prefix="papertrends-plotly-") as tmp, sync_playwright() as p:
        flags = [f for f in FLAGS if f != "--headless"]
        browser = p.chromium.launch(executable_path=exe, headless=True, args=flags)
        try:
            drawer = None if screenshot else _plotly_page(browser, Path(tmp), ms)
            task = job.get()
            if task is None:
                return []
            html, shot, charts = task
            if shot is not None:
                drawer = browser.new_page(viewport={"width": width, "height": 1000})
                drawer.goto(html.resolve().as_uri(), timeout=ms)
                drawer.wait_for_load_state("load")
                # Under load, a chart could still be drawing when "load" fires: two runs'
                # pictures differed (tests/test_repro.py). Wait for every drawing, then for a
                # painted frame.
                drawer.evaluate(DRAWN)
                drawer.screenshot(path=str(shot), full_page=True)
                written.append(Path(shot))
            elif drawer is None:
                drawer = _plotly_page(browser, Path(tmp), ms)
            drawer.wait_for_load_state("load", timeout=ms)
            for path, fig in charts.items():
                spec = {
                    "fig": json.loads(fig.to_json()),
                    "width": chart_width,
                    "height": fig.layout.height or CHART_HEIGHT,
                }
                url = drawer.evaluate(TO_IMAGE, spec)
                Path(path).write_bytes(base64.b64decode(url.split(",", 1)[1]))
                written.append(Path(path))
        finally:
            browser.close()
    log.info("wrote %s", ", ".join(p.name for p in written))
    return written


def _plotly_page(browser, folder: Path, ms: int):
    """A page that loads only plotly.js (the copy plotly's Python package ships); returns at
    once, while plotly.js starts up."""
    import plotly

    plotly_js = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    blank = folder / "plotly.html"
    blank.write_text(f'<script src="{plotly_js.resolve().as_uri()}"></script>', "utf-8")
    page = browser.new_page()
    page.goto(blank.as_uri(), wait_until="commit", timeout=ms)
    return page
