"""A reader's browser for the tests: Debian's headless Chromium, driven through chromedriver by
Selenium (the official WebDriver bindings; the same chromedriver axe-core's command line uses).

Selenium rather than a hand-written DevTools client: it starts and stops Chromium and its driver
reliably, and ``execute_cdp_cmd`` still reaches the DevTools protocol for what WebDriver lacks —
an exact viewport width (``Emulation.setDeviceMetricsOverride``), the dark colour scheme
(``Emulation.setEmulatedMedia``) and full-page screenshots (``Page.captureScreenshot``).
It is given the paths of both programs, so it never looks for or downloads a browser.
"""
from __future__ import annotations

import base64
import io
import os
import tempfile
from pathlib import Path

from PIL import Image

CHROMIUM = os.environ.get("PRESS_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("PRESS_CHROMEDRIVER", "/usr/bin/chromedriver")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--hide-scrollbars",
         "--force-device-scale-factor=1", "--disable-component-update", "--no-first-run", "--disable-sync",
         "--font-render-hinting=none"]


class Browser:
    def __init__(self):
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        self._profile = tempfile.TemporaryDirectory(prefix="press-test-chromium-")
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in FLAGS + [f"--user-data-dir={self._profile.name}"]:
            options.add_argument(flag)
        self.driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
        self.width = 0

    def open(self, page: Path | str, width: int, scheme: str = "light", height: int = 900) -> None:
        """Load a page (a file or URL) at ``width`` CSS pixels in the ``light`` or ``dark`` scheme."""
        self.width = width
        self.cdp("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)
        self.cdp("Emulation.setEmulatedMedia", media="", features=[{"name": "prefers-color-scheme", "value": scheme}])
        self.driver.get(page.resolve().as_uri() if isinstance(page, Path) else page)
        self.run("return document.fonts.ready.then(() => true)")

    def cdp(self, command: str, **params):
        return self.driver.execute_cdp_cmd(command, params)

    def run(self, script: str, *args):
        return self.driver.execute_script(script, *args)

    def scroll_width(self) -> int:
        return self.run("return document.documentElement.scrollWidth")

    def screenshot(self, full: bool = False, clip: dict | None = None) -> Image.Image:
        """The viewport, the whole page (``full``) or a clip {x, y, width, height} in page pixels."""
        params: dict = {"format": "png"}
        if full:
            size = self.run("return [document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
            clip = {"x": 0, "y": 0, "width": size[0], "height": size[1]}
        if clip:
            params.update(captureBeyondViewport=True, clip={**clip, "scale": 1})
        data = self.cdp("Page.captureScreenshot", **params)["data"]
        return Image.open(io.BytesIO(base64.b64decode(data))).convert("RGB")

    def close(self) -> None:
        try:
            self.driver.quit()
        finally:
            self._profile.cleanup()


def luminance(rgb) -> float:
    def channel(c: float) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(c) for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a, b) -> float:
    """WCAG contrast ratio of two sRGB colours (1 to 21)."""
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)
