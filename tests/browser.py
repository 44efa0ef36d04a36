"""Headless Debian Chromium driven by Playwright, for the map, report and workbench tests.

Playwright's own browser download is not used (no internet in CI): `.ci/run` installs Debian's Chromium at
/usr/bin/chromium. Without Chromium or Playwright a test fails when CI=true (CI must run it) and skips with
the reason elsewhere.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@contextmanager
def headless_chromium() -> Iterator[Any]:
    """A launched Playwright Chromium browser, closed on exit; fails (CI) or skips when it cannot start."""
    ci = os.environ.get("CI", "").lower() == "true"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if ci:
            pytest.fail("playwright is not installed; CI installs it with `pip install -e '.[test]'`")
        pytest.skip("playwright is not installed (pip install -e '.[test]')")
    if not CHROMIUM.is_file():
        if ci:
            pytest.fail(f"{CHROMIUM} is missing; .ci/run installs it with `apt-get install -y chromium`")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install -y chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
