"""Headless Chromium (Debian's `chromium`, see `make browser`) for the dashboard's screenshot and
the PNG charts that `dvc plots show` reads.

Both come from one browser: starting Chromium and loading plotly.js cost seconds, and the
dashboard page has plotly.js loaded already, so every chart is drawn there with
`Plotly.toImage` (the call Kaleido makes). Without playwright (the test extra), Kaleido draws
the charts and Chromium's own --screenshot takes the top of the page.
"""

from __future__ import annotations

import base64
import json
import logging
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
    exe = find_chromium()
    if exe is None:
        log.warning("no chromium found (run `make browser`): no screenshot and no PNG charts")
        return []
    try:
        from playwright.sync_api import Error as PlaywrightError
    except ImportError:
        PlaywrightError = None  # noqa: N806
    if PlaywrightError is not None:
        # Own thread: playwright's sync API refuses to run where an event loop already runs.
        with ThreadPoolExecutor(max_workers=1) as pool:
            args = (exe, Path(html), shot, charts, width, chart_width, timeout)
            job = pool.submit(_full_page, *args)
            try:
                return job.result()
            except PlaywrightError as e:
                log.warning("playwright failed (%s): Kaleido and Chromium's --screenshot", e)
    written = []
    if charts:
        import plotly.io as pio

        pio.write_images(list(charts.values()), list(charts), width=chart_width)
        written += list(charts)
    if shot is not None and _cli_screenshot(exe, Path(html), Path(shot), width, height, timeout):
        written.append(Path(shot))
    return written


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


def _full_page(exe, html: Path, shot, charts, width: int, chart_width: int, timeout: int):
    from playwright.sync_api import sync_playwright

    written = []
    with sync_playwright() as p:
        flags = [f for f in FLAGS if f != "--headless"]
        browser = p.chromium.launch(executable_path=exe, headless=True, args=flags)
        try:
            page = browser.new_page(viewport={"width": width, "height": 1000})
            page.goto(html.resolve().as_uri(), timeout=timeout * 1000)
            page.wait_for_load_state("load")
            # Under load, a chart could still be drawing when "load" fires: two runs' pictures
            # differed (tests/test_repro.py). Wait for every drawing, then for a painted frame.
            page.evaluate(DRAWN)
            if shot is not None:
                page.screenshot(path=str(shot), full_page=True)
                written.append(Path(shot))
            for path, fig in charts.items():
                spec = {
                    "fig": json.loads(fig.to_json()),
                    "width": chart_width,
                    "height": fig.layout.height or CHART_HEIGHT,
                }
                url = page.evaluate(TO_IMAGE, spec)
                Path(path).write_bytes(base64.b64decode(url.split(",", 1)[1]))
                written.append(Path(path))
        finally:
            browser.close()
    log.info("wrote %s", ", ".join(p.name for p in written))
    return written
