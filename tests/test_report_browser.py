"""The board report in a real browser: headless Chromium loads it offline, without errors.

Needs Debian's ``chromium`` and ``chromium-driver`` (``.ci/report-deps`` installs them).
"""

from __future__ import annotations

import base64
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from sendsim.app import simulate
from sendsim.report import write_report
from sendsim.report.page import png_size
from tests.conftest import make_config

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
VIEWPORT = (1280, 900)
#: Flags that keep Chromium from calling home; a closed network refuses those connections.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    f"--window-size={VIEWPORT[0]},{VIEWPORT[1]}",
)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A report of two scenarios with two seeds each: Rutland, two years."""
    root = tmp_path_factory.mktemp("runs")
    for scenario, overrides in (
        ("baseline", {}),
        ("more_therapists", {"policy.workforce.therapists": 1.3}),
    ):
        for seed in (1, 2):
            config = make_config(
                **{"run.years": 2, "run.seed": seed, "scenario.name": scenario, **overrides}
            )
            simulate(config, root / "sweeps" / scenario / str(seed), progress=False)
    out = root / "report.html"
    write_report([root / "sweeps"], out)
    return out


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """Headless Chromium through its WebDriver, logging console messages and network."""
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.skip("needs /usr/bin/chromium and /usr/bin/chromedriver (run .ci/report-deps)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": VIEWPORT[0], "height": VIEWPORT[1], "deviceScaleFactor": 1, "mobile": False},
    )
    try:
        yield driver
    finally:
        driver.quit()


def open_page(driver: object, path: Path) -> tuple[list[str], list[str]]:
    """Load a page; return its console errors and every URL it requested."""
    driver.get_log("browser")  # drop messages from earlier pages
    driver.get_log("performance")
    driver.get(path.as_uri())  # returns once the page has loaded
    errors = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    urls = []
    for entry in driver.get_log("performance"):
        event = json.loads(entry["message"])["message"]
        if event["method"] == "Network.requestWillBeSent":
            urls.append(event["params"]["request"]["url"])
    return errors, urls


def test_report_loads_offline_with_charts_and_no_errors(browser, report, tmp_path):
    errors, urls = open_page(browser, report)
    assert errors == []
    assert report.as_uri() in urls  # the network log works...
    assert [u for u in urls if not u.startswith(("file:", "data:"))] == []  # ...nothing external
    images = browser.execute_script(
        "return [...document.images].map(i => {const r = i.getBoundingClientRect();"
        " return [i.complete, i.naturalWidth, r.width, r.height, i.alt];})"
    )
    assert len(images) == 7
    for complete, natural_width, width, height, alt in images:
        assert complete and natural_width > 800 and width > 300 and height > 100 and alt
    text = browser.execute_script("return document.body.innerText")
    assert text.index("Before the numbers") < text.index("Key messages") < text.index("£")
    screenshot = browser.get_screenshot_as_png()
    (tmp_path / "first-screen.png").write_bytes(screenshot)
    assert png_size(screenshot) == VIEWPORT and len(screenshot) > 20_000


def test_report_prints_to_a4(browser, report):
    from selenium.webdriver.common.print_page_options import PrintOptions

    open_page(browser, report)
    options = PrintOptions()
    options.page_width, options.page_height = 21.0, 29.7  # A4, cm
    pdf = base64.b64decode(browser.print_page(options))
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page\n") + pdf.count(b"/Type/Page") >= 5


def test_the_check_catches_external_requests_and_errors(browser, report, tmp_path):
    """The same page without its security policy and with a remote image fails the check."""
    page = report.read_text(encoding="utf-8")
    start = page.index('<meta http-equiv="Content-Security-Policy"')
    page = page[:start] + page[page.index(">", start) + 1 :]
    page = page.replace("<main>", '<main><img src="http://report.invalid/logo.png" alt="x">')
    bad = tmp_path / "bad.html"
    bad.write_text(page, encoding="utf-8")
    shutil.copytree(report.parent / "report_files", tmp_path / "report_files")
    errors, urls = open_page(browser, bad)
    assert "http://report.invalid/logo.png" in urls
    assert errors
