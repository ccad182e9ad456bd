"""Headless-Chromium checks of rendered reports (a test helper): load a page over the DevTools
protocol, collect console errors, failed loads and images, so a test can assert that a report
renders with no broken link or request. Needs a Chromium on PATH (`make system-deps`)."""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
# ---------------------------------------------------------------------------- headless browser check

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def chromium_binary() -> str:
    """Path of a Chromium/Chrome executable on ``PATH``; ``FileNotFoundError`` naming the package if none."""
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise FileNotFoundError(f"no Chromium browser on PATH (looked for {', '.join(CHROMIUM_NAMES)}); "
                            "install the Debian package `chromium` (apt-get install -y chromium, or `make system-deps`)")


@dataclass
class PageCheck:
    """What headless Chromium saw when it loaded a page."""

    url: str
    errors: list[str] = field(default_factory=list)     # console errors, uncaught exceptions, failed loads
    images: list[dict] = field(default_factory=list)    # {"src", "naturalWidth", "complete"} per <img>
    requests: list[str] = field(default_factory=list)   # every URL the page requested
    links: list[str] = field(default_factory=list)      # every <a href>, resolved to a URL
    text: str = ""                                      # the rendered text (document.body.innerText)
    probe: Any = None                                   # the value of the ``probe`` expression, if given

    @property
    def broken_images(self) -> list[str]:
        return [img["src"] for img in self.images if not img.get("naturalWidth")]

    @property
    def external_requests(self) -> list[str]:
        return [u for u in self.requests if not u.startswith(("file:", "data:", "about:"))]


# Opens every <details>, makes lazy images eager, waits (10 s at most) until each image has loaded or
# failed, and returns what each one decoded to.
_IMAGES_JS = """(async () => {
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  const images = Array.from(document.images);
  images.forEach(img => { img.loading = 'eager'; });
  const settled = images.map(img => img.complete ? null
    : new Promise(done => { img.addEventListener('load', done); img.addEventListener('error', done); }));
  await Promise.race([Promise.all(settled), new Promise(done => setTimeout(done, 10000))]);
  return images.map(img => ({src: img.getAttribute('src'), naturalWidth: img.naturalWidth, complete: img.complete}));
})()"""


class _DevTools:
    """A minimal Chrome DevTools Protocol client over ``--remote-debugging-pipe`` (stdlib only).

    Chromium reads NUL-terminated JSON commands on its fd 3 and writes replies and events on fd 4;
    no port, no websocket. Events that arrive while waiting for a reply are kept in ``events``.
    """

    def __init__(self, binary: str, profile: str, log: Any):
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def wire_fds() -> None:
            """In the child before exec: the browser's ends of the pipes become its fds 3 and 4.

            Copies go to fds >= 10 first, so neither end is overwritten when it already sits on 3 or 4.
            (Every other descriptor Python opened is close-on-exec, hence ``close_fds=False``.)"""
            import fcntl
            r, w = fcntl.fcntl(to_browser_r, fcntl.F_DUPFD, 10), fcntl.fcntl(from_browser_w, fcntl.F_DUPFD, 10)
            os.dup2(r, 3)
            os.dup2(w, 4)

        args = [binary, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--mute-audio",
                "--remote-debugging-pipe", f"--user-data-dir={profile}", "about:blank"]
        self.process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                        preexec_fn=wire_fds, close_fds=False)
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict] = []

    def send(self, method: str, params: dict | None = None, session: str | None = None, timeout: float = 30) -> dict:
        """Send one command and return its ``result``; raises ``RuntimeError`` on a protocol error."""
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"DevTools {method} failed: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, session: str | None, timeout: float) -> dict:
        """Wait for the event ``method`` (of ``session``), keeping every event seen on the way."""
        deadline = time.monotonic() + timeout
        while True:
            event = self._read(deadline)
            self.events.append(event)
            if event.get("method") == method and event.get("sessionId") == session:
                return event

    def _read(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._from_browser], [], [], left)[0]:
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self._from_browser, 1 << 16)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe (it exited)")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def close(self) -> None:
        try:
            self.send("Browser.close", timeout=5)
        except (OSError, RuntimeError, TimeoutError, ValueError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for fd in (self._to_browser, self._from_browser):
            try:
                os.close(fd)
            except OSError:
                pass


def _page_errors(events: list[dict], session: str) -> tuple[list[str], list[str]]:
    """Errors (console, exceptions, log entries, failed loads) and requested URLs from DevTools events."""
    errors, requests, urls = [], [], {}
    for event in (e for e in events if e.get("sessionId") == session):
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            args = [str(arg.get("value", arg.get("description", ""))) for arg in params.get("args", [])]
            errors.append("console." + params["type"] + ": " + " ".join(args))
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            errors.append("uncaught: " + str(details.get("exception", {}).get("description") or details.get("text")))
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            entry = params["entry"]
            errors.append(f"{entry.get('source', 'log')}: {entry.get('text', '')} {entry.get('url', '')}".strip())
        elif method == "Network.requestWillBeSent":
            urls[params.get("requestId")] = params.get("request", {}).get("url", "")
            requests.append(urls[params.get("requestId")])
        elif method == "Network.loadingFailed" and not params.get("canceled"):
            errors.append(f"failed to load {urls.get(params.get('requestId'), '?')}: {params.get('errorText')}")
    return errors, requests


_CONTENT_JS = """({links: Array.from(document.querySelectorAll('a[href]')).map(a => a.href),
  text: document.body ? document.body.innerText : ''})"""


def check_page(page: str | Path, timeout: float = 60, probe: str | None = None,
               screenshot: str | Path | None = None) -> PageCheck:
    """Load ``page`` (a local file) in headless Chromium and report what went wrong.

    ``probe``: a JavaScript expression (may be a promise) evaluated after the page settled; its value
    is returned in ``probe``. ``screenshot``: write a PNG of the top of the page (1280 x 900) there.

    Listens to the DevTools Runtime, Log and Network events from before navigation until every image
    settled (lazy and collapsed ones are forced to load, see ``_IMAGES_JS``), so a broken ``<img>``,
    a script error, a ``console.error`` or a request leaving the machine are all reported.
    Raises ``FileNotFoundError`` (naming the package) when no Chromium is installed.
    """
    url = Path(page).resolve().as_uri()
    binary = chromium_binary()
    with tempfile.TemporaryDirectory(prefix="rpt-chromium-") as profile, \
            tempfile.TemporaryFile(mode="w+b") as log:
        browser = _DevTools(binary, profile, log)
        try:
            target = browser.send("Target.createTarget", {"url": "about:blank"}, timeout=timeout)["targetId"]
            session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            for domain in ("Page", "Runtime", "Log", "Network"):
                browser.send(f"{domain}.enable", session=session)
            navigation = browser.send("Page.navigate", {"url": url}, session=session)
            if navigation.get("errorText"):
                raise RuntimeError(f"Chromium could not open {url}: {navigation['errorText']}")
            browser.wait_for("Page.loadEventFired", session, timeout)
            images = browser.send("Runtime.evaluate", {"expression": _IMAGES_JS, "awaitPromise": True,
                                                       "returnByValue": True}, session=session, timeout=timeout)
            content = browser.send("Runtime.evaluate", {"expression": _CONTENT_JS, "returnByValue": True},
                                   session=session, timeout=timeout).get("result", {}).get("value") or {}
            probed = browser.send("Runtime.evaluate", {"expression": probe, "awaitPromise": True, "returnByValue": True},
                                  session=session, timeout=timeout).get("result", {}).get("value") if probe else None
            if screenshot:
                import base64

                browser.send("Emulation.setDeviceMetricsOverride", {"width": 1280, "height": 900, "deviceScaleFactor": 1,
                                                                   "mobile": False}, session=session)
                shot = browser.send("Page.captureScreenshot", {"format": "png"},
                                    session=session, timeout=timeout)
                Path(screenshot).write_bytes(base64.b64decode(shot["data"]))
            browser.send("Runtime.evaluate", {"expression": "1"}, session=session)   # flush pending events
        except (RuntimeError, TimeoutError) as exc:
            log.seek(0)
            raise RuntimeError(f"{exc}; Chromium's log:\n{log.read().decode(errors='replace')[-3000:]}") from exc
        finally:
            browser.close()
    errors, requests = _page_errors(browser.events, session)
    return PageCheck(url, errors, images.get("result", {}).get("value") or [], requests,
                     content.get("links") or [], content.get("text") or "", probed)


