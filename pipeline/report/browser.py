"""Headless Chromium for a screenshot of the dashboard (Debian's `chromium`, see `make browser`)."""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

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


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def screenshot(
    html: Path, png: Path, width: int = 1400, height: int = 4200, timeout: int = 120
) -> Path | None:
    """Render `html` from file:// to `png`; None if there is no browser.

    With playwright installed (the test extra) the whole page is captured; otherwise Chromium's
    own --screenshot takes the top `height` pixels.
    """
    exe = find_chromium()
    if exe is None:
        log.warning("no chromium found (run `make browser`): skipped %s", png)
        return None
    png = Path(png).resolve()
    try:
        from playwright.sync_api import Error as PlaywrightError
    except ImportError:
        PlaywrightError = None  # noqa: N806
    if PlaywrightError is not None:
        # Own thread: playwright's sync API refuses to run where an event loop already runs.
        with ThreadPoolExecutor(max_workers=1) as pool:
            try:
                return pool.submit(_full_page, exe, Path(html), png, width, timeout).result()
            except PlaywrightError as e:
                log.warning("playwright could not take the screenshot (%s): trying chromium", e)
    with tempfile.TemporaryDirectory(prefix="papertrends-chromium-") as profile:
        cmd = [
            exe,
            *FLAGS,
            f"--user-data-dir={profile}",
            f"--window-size={width},{height}",
            # Lets plotly finish drawing before the picture is taken.
            "--virtual-time-budget=15000",
            f"--screenshot={png}",
            Path(html).resolve().as_uri(),
        ]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0 or not png.exists():
        log.warning("chromium could not take the screenshot: %s", done.stderr[-500:])
        return None
    log.info("wrote %s", png)
    return png


def _full_page(exe: str, html: Path, png: Path, width: int, timeout: int) -> Path:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        flags = [f for f in FLAGS if f != "--headless"]
        browser = p.chromium.launch(executable_path=exe, headless=True, args=flags)
        try:
            page = browser.new_page(viewport={"width": width, "height": 1000})
            page.goto(html.resolve().as_uri(), timeout=timeout * 1000)
            page.wait_for_load_state("load")
            page.screenshot(path=str(png), full_page=True)
        finally:
            browser.close()
    log.info("wrote %s", png)
    return png
