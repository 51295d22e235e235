"""Browser tests: Debian's Chromium, headless, driven through its chromedriver by Selenium,
against ONE real `mailwright serve` on SQLite for the whole session (its first start makes the
demo account, as a new user's does). Neither depends on the backend under test: they run once.

A failed browser test leaves a screenshot, failure.png, in its tmp_path (named in the report).
MAILWRIGHT_WRITE_SCREENSHOTS=1 also writes the README's screenshots into docs/screenshots/."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from mailwright.config import Settings
from tests.conftest import Cli, wait_until
from tests.support.serve import ServeProcess, serve_env

CHROMIUM = os.environ.get("MAILWRIGHT_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("MAILWRIGHT_CHROMEDRIVER", "/usr/bin/chromedriver")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
KEY_LINE = re.compile(r"Its API key, shown only this once: (\S+)")
DASHBOARD_LINE = re.compile(r"^Dashboard: (http://\S+/dashboard) \(sign in with this API key\)$", re.MULTILINE)


@dataclass
class DashboardServe:
    serve: ServeProcess
    demo_key: str
    dashboard_url: str

    @property
    def base_url(self) -> str:
        return self.serve.base_url

    _operator_key: str | None = None

    def operator_key(self) -> str:
        """`mailwright operators create-key --json` on the serve's database, run once: the
        browser tests share the key."""
        if self._operator_key is None:
            self._operator_key = Cli(self.serve.env, cwd=self.serve.cwd).json("operators", "create-key")["operator_key"]
        return self._operator_key


# Module-scoped: only the browser tests use them, and a serve (its workflow engine) and a Chromium
# left running would cost CPU for the rest of the session.
@pytest.fixture(scope="module")
def dashboard_serve(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DashboardServe]:
    root = tmp_path_factory.mktemp("dashboard-serve")
    # Its workers look for work at the settings' default pace, not the tests' quick one: it idles
    # while the browser works, and that polling was its largest cost.
    pace = {name: str(Settings.model_fields[name].default) for name in ("queue_poll_seconds", "step_retry_seconds")}
    serve = ServeProcess(serve_env(f"sqlite:///{root / 'mailwright.db'}", root / "data", **pace), cwd=root).start().wait_ready()
    try:
        demo_key = wait_until(lambda: KEY_LINE.search(serve.text), timeout=30).group(1)
        dashboard_url = wait_until(lambda: DASHBOARD_LINE.search(serve.text), timeout=30).group(1)
        yield DashboardServe(serve, demo_key, dashboard_url)
    finally:
        serve.stop()


@pytest.fixture(scope="module")
def downloads_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("browser-downloads")


@pytest.fixture(scope="module")
def chromium(downloads_dir: Path) -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--no-first-run", "--disable-extensions", "--window-size=1280,900",
                     # No work beside the pages': no updates, sync, translation or media routing.
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--disable-default-apps", "--mute-audio", "--disable-features=Translate,MediaRouter,OptimizationHints"):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads_dir), "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.implicitly_wait(0)
    yield driver
    driver.quit()


@pytest.fixture
def browser(chromium: object, tmp_path: Path) -> Iterator[object]:
    """The session's Chromium with no cookies, its window 1280 px wide (tests narrow it)."""
    chromium.delete_all_cookies()
    chromium.set_window_size(1280, 900)
    yield chromium
    chromium.delete_all_cookies()


def shot(browser: object, name: str) -> None:
    """A screenshot of the README (only with MAILWRIGHT_WRITE_SCREENSHOTS=1)."""
    if os.environ.get("MAILWRIGHT_WRITE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(SCREENSHOTS / f"{name}.png"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    driver, tmp_path = item.funcargs.get("browser"), item.funcargs.get("tmp_path")  # type: ignore[attr-defined]
    if report.when == "call" and report.failed and driver is not None and tmp_path is not None:
        path = Path(tmp_path) / "failure.png"
        try:
            driver.save_screenshot(str(path))
            report.sections.append(("browser", f"screenshot of the failure: {path} (at {driver.current_url})"))
        except Exception as exc:  # the browser itself may be what failed
            report.sections.append(("browser", f"no screenshot: {exc}"))
