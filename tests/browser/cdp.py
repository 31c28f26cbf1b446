"""A small driver for headless Chromium over the DevTools protocol, for tests/test_browser.py.

It starts Debian's ``/usr/bin/chromium`` (never a downloaded browser) with a fresh profile, opens
one page target, and talks to it over a WebSocket (``websocket-client``). Every request the page
makes is paused with ``Fetch``: requests to the local test server (and ``data:``/``blob:`` URLs)
go on, any other is failed and recorded. Chromium's host resolver also maps every other host to
nothing, so a request that slipped past interception could not leave the machine either.
Console errors, uncaught exceptions and failed loads are recorded too.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

try:
    import websocket  # websocket-client
except ImportError:  # tests/test_browser.py skips, naming the package
    websocket = None

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
    "--disable-extensions",
    "--mute-audio",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]


def find_chromium() -> str | None:
    """Debian's Chromium, if it is installed."""
    for candidate in ("/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


class CDPError(RuntimeError):
    """An error answer from Chromium, or a time-out."""


class Browser:
    """Headless Chromium with one page, that only lets requests to ``allowed_origin`` through."""

    def __init__(self, executable: str, allowed_origin: str, width: int = 1280, height: int = 900) -> None:
        self.allowed_origin = allowed_origin
        self.profile = tempfile.mkdtemp(prefix="nnkit-chromium-")
        self.process = subprocess.Popen(
            [executable, *CHROMIUM_FLAGS, f"--user-data-dir={self.profile}", "--remote-debugging-port=0",
             "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        self.blocked: list[str] = []  # URLs that were not allowed
        self.requested: list[str] = []  # every URL the page asked for
        self.errors: list[str] = []  # console errors, exceptions, failed loads
        self._ids = itertools.count(1)
        self._events: list[dict] = []
        self._ws = websocket.create_connection(self._page_websocket(), timeout=30, suppress_origin=True)
        for method in ("Page.enable", "Runtime.enable", "Log.enable", "Network.enable"):
            self.call(method)
        self.call("Fetch.enable", patterns=[{"urlPattern": "*"}])
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)

    def _page_websocket(self, timeout: float = 30) -> str:
        """Read the DevTools port from Chromium's stderr; return the page target's WebSocket URL."""
        deadline = time.monotonic() + timeout
        assert self.process.stderr is not None
        while time.monotonic() < deadline:
            line = self.process.stderr.readline()
            match = re.search(r"DevTools listening on ws://127\.0\.0\.1:(\d+)/", line)
            if match:
                port = match.group(1)
                break
            if not line and self.process.poll() is not None:
                raise CDPError(f"Chromium exited with code {self.process.returncode}")
        else:
            raise CDPError("Chromium did not open its DevTools port")
        # Keep reading Chromium's chatter, or it would block once the pipe is full.
        threading.Thread(target=self.process.stderr.read, daemon=True).start()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as answer:
            pages = [t for t in json.load(answer) if t["type"] == "page"]
        return pages[0]["webSocketDebuggerUrl"]

    # --- the protocol ---------------------------------------------------------------------------

    def call(self, method: str, timeout: float = 30, **params: Any) -> dict:
        """Send a command and return its result, handling the events that arrive meanwhile."""
        message_id = next(self._ids)
        self._ws.send(json.dumps({"id": message_id, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = self._receive(deadline)
            if message and message.get("id") == message_id:
                if "error" in message:
                    raise CDPError(f"{method}: {message['error']}")
                return message.get("result", {})
        raise CDPError(f"{method}: no answer in {timeout} s")

    def _receive(self, deadline: float) -> dict | None:
        self._ws.settimeout(max(0.01, min(1.0, deadline - time.monotonic())))
        try:
            message = json.loads(self._ws.recv())
        except websocket.WebSocketTimeoutException:
            return None
        if "method" in message:
            self._on_event(message["method"], message.get("params", {}))
        return message

    def _send(self, method: str, **params: Any) -> None:
        """Send a command without waiting for its answer (from inside an event handler)."""
        self._ws.send(json.dumps({"id": next(self._ids), "method": method, "params": params}))

    def _on_event(self, method: str, params: dict) -> None:
        self._events.append({"method": method, "params": params})
        if method == "Fetch.requestPaused":
            url = params["request"]["url"]
            if self.allows(url):
                self._send("Fetch.continueRequest", requestId=params["requestId"])
            else:
                self.blocked.append(url)
                self._send("Fetch.failRequest", requestId=params["requestId"], errorReason="BlockedByClient")
        elif method == "Network.requestWillBeSent":
            url = params["request"]["url"]
            self.requested.append(url)
            if not self.allows(url):
                self.blocked.append(url)
        elif method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"):
            self.errors.append(
                "console: " + " ".join(str(a.get("value", a.get("description"))) for a in params["args"])
            )
        elif method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            self.errors.append("exception: " + details.get("exception", {}).get("description", details["text"]))
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            entry = params["entry"]
            self.errors.append(f"log: {entry['text']} {entry.get('url', '')}".strip())
        elif method == "Network.loadingFailed" and not params.get("canceled"):
            self.errors.append(f"load failed: {params.get('errorText')}")

    def allows(self, url: str) -> bool:
        """Whether the page may request ``url``: this site, or data it already holds."""
        parts = urlsplit(url)
        return parts.scheme in ("data", "blob") or f"{parts.scheme}://{parts.netloc}" == self.allowed_origin

    def wait_for_event(self, method: str, timeout: float = 30) -> dict:
        deadline = time.monotonic() + timeout
        seen = len(self._events)
        while time.monotonic() < deadline:
            for event in self._events[seen:]:
                if event["method"] == method:
                    return event["params"]
            seen = len(self._events)
            self._receive(deadline)
        raise CDPError(f"no {method} in {timeout} s")

    # --- what the tests use ---------------------------------------------------------------------

    def open(self, url: str, timeout: float = 30) -> None:
        """Load a page and wait for its load event."""
        self._events.clear()
        self.call("Page.navigate", url=url)
        self.wait_for_event("Page.loadEventFired", timeout)

    def evaluate(self, expression: str, timeout: float = 30) -> Any:
        """Evaluate JavaScript in the page (awaiting a promise) and return its JSON value."""
        result = self.call(
            "Runtime.evaluate", timeout=timeout, expression=expression, awaitPromise=True, returnByValue=True
        )
        if "exceptionDetails" in result:
            raise CDPError(f"JavaScript error: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_until(self, expression: str, timeout: float = 20, interval: float = 0.1) -> Any:
        """Evaluate ``expression`` until it is truthy; return its value."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            self.pause(interval)
        raise CDPError(f"still false after {timeout} s: {expression}")

    def pause(self, seconds: float) -> None:
        """Wait while still answering the page's events (paused requests must not wait)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self._receive(deadline)

    def click(self, x: float, y: float) -> None:
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    def press(self, key: str, code: int) -> None:
        """Press and release a key, as a person would, in the focused element."""
        for kind in ("rawKeyDown", "keyUp"):
            self.call("Input.dispatchKeyEvent", type=kind, key=key, code=key, windowsVirtualKeyCode=code)

    def screenshot(self, path: Path, full_page: bool = True) -> None:
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            width, height = self.evaluate(
                "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
            )
            params.update(
                captureBeyondViewport=True, clip={"x": 0, "y": 0, "width": width, "height": height, "scale": 1}
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(self.call("Page.captureScreenshot", **params)["data"]))

    def close(self) -> None:
        try:
            self._ws.close()
        finally:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            shutil.rmtree(self.profile, ignore_errors=True)
