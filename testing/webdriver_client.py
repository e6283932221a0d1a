"""A small W3C WebDriver client for Debian's chromedriver, over httpx, and the headless Chromium it drives.

The accessibility and preview tests need a dozen WebDriver calls: open a page, run a script, find elements,
press keys, read an element's computed role and name, and send one DevTools command. Selenium
would do them, but it brings trio and wsproto into the venv, and uvicorn (whose WebSocket
support is "auto") then loads wsproto and h11 into the server process that
tests/server checks for render packages. The protocol itself is plain JSON over HTTP.
"""

import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from testing.ports import free_port

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
# The W3C key under which an element reference travels in JSON.
ELEMENT_KEY = "element-6066-11e4-a52e-4f735466cecf"
# WebDriver's code points for the keys the tests press.
TAB, ENTER, ARROW_RIGHT = "\ue004", "\ue007", "\ue014"


class WebDriverError(Exception):
    """An error answer from the driver: its error code and message."""


@dataclass(frozen=True)
class Element:
    """A reference to an element of the current page."""

    browser: "Browser"
    id: str

    def _get(self, what: str) -> Any:
        return self.browser.command("GET", f"/element/{self.id}/{what}")

    @property
    def tag_name(self) -> str:
        return str(self._get("name"))

    @property
    def text(self) -> str:
        """The rendered text, as a user sees it."""
        return str(self._get("text"))

    @property
    def role(self) -> str:
        """The ARIA role the browser computed, as assistive technology gets it."""
        return str(self._get("computedrole"))

    @property
    def name(self) -> str:
        """The accessible name the browser computed, as a screen reader announces it."""
        return str(self._get("computedlabel"))

    def attribute(self, name: str) -> str | None:
        value = self._get(f"attribute/{name}")
        return None if value is None else str(value)


class Browser:
    """One chromedriver process and one session in it; ``quit`` ends both."""

    def __init__(self, driver: subprocess.Popen[bytes], url: str, session: str) -> None:
        self.driver, self.url, self.session = driver, url, session
        self.http = httpx.Client(timeout=60)

    @classmethod
    def start(cls, chromedriver: str, chromium: str, arguments: list[str], log: Path) -> "Browser":
        port = free_port()
        with log.open("wb") as out:
            driver = subprocess.Popen([chromedriver, f"--port={port}"], stdout=out, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        capabilities = {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": chromium, "args": arguments},
            "timeouts": {"script": 30_000},
        }
        try:
            wait_until(lambda: _ready(url), 15, f"chromedriver did not answer on {url} (see {log})")
            answer = httpx.post(f"{url}/session", json={"capabilities": {"alwaysMatch": capabilities}}, timeout=60)
            return cls(driver, url, _value(answer)["sessionId"])
        except BaseException:
            driver.terminate()
            driver.wait(timeout=10)
            raise

    def command(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """One WebDriver command in this session; element references come back as Elements."""
        answer = self.http.request(method, f"{self.url}/session/{self.session}{path}", json=body)
        return self._elements(_value(answer))

    def get(self, url: str) -> None:
        self.command("POST", "/url", {"url": url})

    def execute(self, script: str, *args: Any) -> Any:
        return self.command("POST", "/execute/sync", {"script": script, "args": [self._json(a) for a in args]})

    def execute_async(self, script: str, *args: Any) -> Any:
        """A script that ends by calling its last argument with the result."""
        return self.command("POST", "/execute/async", {"script": script, "args": [self._json(a) for a in args]})

    def cdp(self, command: str, params: dict[str, Any]) -> Any:
        """A Chrome DevTools Protocol command, through chromedriver."""
        return self.command("POST", "/goog/cdp/execute", {"cmd": command, "params": params})

    def find_all(self, css: str) -> list[Element]:
        found: list[Element] = self.command("POST", "/elements", {"using": "css selector", "value": css})
        return found

    def find(self, css: str) -> Element:
        found: Element = self.command("POST", "/element", {"using": "css selector", "value": css})
        return found

    def active_element(self) -> Element:
        found: Element = self.command("GET", "/element/active")
        return found

    def press(self, *keys: str) -> Element:
        """Each key pressed and released, as a keyboard would; returns the element that has the focus."""
        strokes = [{"type": kind, "value": key} for key in keys for kind in ("keyDown", "keyUp")]
        self.command("POST", "/actions", {"actions": [{"type": "key", "id": "keyboard", "actions": strokes}]})
        return self.active_element()

    def quit(self) -> None:
        try:
            self.http.delete(f"{self.url}/session/{self.session}")
        finally:
            self.http.close()
            self.driver.terminate()
            self.driver.wait(timeout=10)

    def _json(self, value: Any) -> Any:
        return {ELEMENT_KEY: value.id} if isinstance(value, Element) else value

    def _elements(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self._elements(item) for item in value]
        if isinstance(value, dict):
            if set(value) == {ELEMENT_KEY}:
                return Element(self, value[ELEMENT_KEY])
            return {key: self._elements(item) for key, item in value.items()}
        return value


def _value(answer: httpx.Response) -> Any:
    """The ``value`` of a driver's answer, or its error raised."""
    value = answer.json()["value"]
    if answer.status_code != httpx.codes.OK:
        message = (value.get("message") or "").partition("\n")[0]
        raise WebDriverError(f"{value.get('error')}: {message}")
    return value


def _ready(url: str) -> bool:
    try:
        return bool(httpx.get(f"{url}/status", timeout=1).json()["value"]["ready"])
    except httpx.TransportError:
        return False


def wait_until(condition: Callable[[], bool], seconds: float, message: str) -> None:
    """Poll ``condition`` until it holds; fail with ``message`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(message)
        time.sleep(0.05)


def start_chromium(work: Path) -> Browser:
    """Headless Debian chromium as root: no sandbox, no background traffic, a fresh profile."""
    arguments = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={work / 'profile'}",
        "--window-size=1280,900",
    ]
    return Browser.start(CHROMEDRIVER, CHROMIUM, arguments, work / "chromedriver.log")
