"""The HTML reports in a real browser: the system Chromium driven by Playwright (never a browser
that Playwright downloads), one browser per test process and one page load per report, width and
colour scheme, measured by probe.js and kept for every check that asks about it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import sync_playwright

WIDTHS = (390, 1280)  # a phone held upright, a laptop
PROBE = (Path(__file__).parent / "probe.js").read_text(encoding="utf-8")


@dataclass
class Screen:
    """Opens reports in the browser and measures each once (see the module's docstring)."""

    browser: Any
    measured: dict[tuple[Path, int, str], dict[str, Any]] = field(default_factory=dict)
    tabs: dict[tuple[int, str], Any] = field(default_factory=dict)

    def tab(self, width: int, scheme: str = "light") -> Any:
        """The browser tab of this width and colour scheme (one each, reused page after page)."""
        if (width, scheme) not in self.tabs:
            context = self.browser.new_context(
                viewport={"width": width, "height": 900}, color_scheme=scheme
            )
            self.tabs[width, scheme] = context.new_page()
        return self.tabs[width, scheme]

    def measure(self, page: Path, width: int, scheme: str = "light") -> dict[str, Any]:
        """probe.js's findings for ``page`` at ``width`` CSS pixels in the colour ``scheme``
        (the probe is the only script: the reports have none)."""
        key = (page, width, scheme)
        if key not in self.measured:
            tab = self.tab(width, scheme)
            tab.goto(page.as_uri())
            self.measured[key] = tab.evaluate(PROBE)
        return self.measured[key]


@pytest.fixture(scope="session", name="screen")
def screen_fixture() -> Iterator[Screen]:
    """A headless system Chromium for the session (skipped where there is none)."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("no chromium on PATH (make test-sysdeps installs Debian's)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            yield Screen(browser)
        finally:
            browser.close()
