"""Job-completion webhooks, shaped as NetPulse's ``basic`` WebHookCaller sends them.

The body: ``{"id", "status": "success" | "failed", "result": <text>, "device": {"host",
"device_type"}, "driver", "command" | "config"}`` (NetPulse's), plus ``"netweave": {"status",
"result"}``: the job's status and its structured result (NetWeave's addition).

The request's ``method``, ``headers``, ``cookies``, ``auth`` (Basic), ``timeout``,
``max_retries`` and ``retry_intervals`` are honoured. Headers, cookies and auth are sealed
in the job row like device passwords and never logged. Deliveries run on a small thread
pool; a retry waits in one scheduler thread (a heap), never in a pool thread, so a slow
retry schedule cannot hold up other jobs' webhooks. A 5xx or a network error is retried;
a 4xx is not (the receiver refused the request itself).

Webhook URLs come from operators: like run notifications they may name any host (see the
known limits in docs/security.md). They carry results, never a stored credential, and
redirects are not followed.
"""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from netweave.foundation.secrets import SecretBox

log = logging.getLogger(__name__)

DEFAULT_RETRIES = 3  # NetWeave's default when the request gives no max_retries
DEFAULT_BACKOFF = 0.5  # seconds before the first default retry, doubled each time
MAX_PENDING = 10_000  # retries waiting at once; beyond it a failed delivery is dropped
SEALED = ("headers", "cookies", "auth")


def seal_webhook(box: SecretBox, spec: dict[str, Any]) -> dict[str, Any]:
    """The webhook as stored in the job row: headers, cookies and auth encrypted."""
    stored = dict(spec)
    for key in SEALED:
        value = stored.pop(key, None)
        stored[f"{key}_enc"] = box.encrypt(json.dumps(value)) if value else None
    return stored


def open_webhook(box: SecretBox, stored: dict[str, Any]) -> dict[str, Any]:
    """The stored webhook with its sealed parts opened (in the process that sends it)."""
    spec = dict(stored)
    for key in SEALED:
        sealed = spec.pop(f"{key}_enc", None)
        spec[key] = json.loads(box.decrypt(sealed)) if sealed else None
    return spec


def netpulse_body(
    job_id: str, status: str, result: dict[str, Any] | None, request: dict[str, Any]
) -> dict[str, Any]:
    """What NetPulse's basic WebHookCaller posts, plus NetWeave's structured result."""
    result = result or {}
    error = result.get("error")
    retval = result.get("retval")
    if status != "finished" and isinstance(error, dict):
        text = f"{error.get('type', 'error')}: {error.get('message', '')}"
    elif isinstance(retval, list):
        text = _format_retval(retval)
    else:
        text = str(retval)
    body: dict[str, Any] = {
        "id": job_id,
        "status": "success" if status == "finished" else "failed",
        "result": text,
    }
    args = request.get("connection_args") or {}
    device = {
        "host": args.get("name") or args.get("host"),
        "device_type": args.get("device_type"),
    }
    device = {key: value for key, value in device.items() if value}
    if device:
        body["device"] = device
    if request.get("driver"):
        body["driver"] = request["driver"]
    for operation in ("command", "config"):
        lines = request.get(operation)
        if lines is not None:
            body[operation] = "\n".join(lines) if isinstance(lines, list) else str(lines)
            break
    body["netweave"] = {"status": status, "result": result}
    return body


def _format_retval(retval: list[Any]) -> str:
    """NetPulse's text for a list of command results."""
    lines: list[str] = []
    for item in retval:
        if not isinstance(item, dict):
            lines += [str(item), ""]
            continue
        lines.append(f"Command: {item.get('command', 'unknown')}")
        lines.append(f"Output:\n{item.get('stdout', '')}")
        if item.get("stderr"):
            lines.append(f"Error: {item['stderr']}")
        lines.append(f"Exit Status: {item.get('exit_status', 0)}")
        lines.append("")
    return "\n".join(lines).rstrip() if lines else "[]"


class WebhookSender:
    def __init__(
        self,
        retries: int = DEFAULT_RETRIES,
        backoff: float = DEFAULT_BACKOFF,
        threads: int = 4,
    ) -> None:
        self.retries = retries
        self.backoff = backoff
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="webhook")
        self.delivered = 0
        self.failed = 0
        self._due: list[tuple[float, int, dict[str, Any], dict[str, Any], int]] = []
        self._order = itertools.count()
        self._wake = threading.Condition()
        self._closed = False
        self._scheduler: threading.Thread | None = None

    def send(self, spec: dict[str, Any], payload: dict[str, Any]) -> None:
        self._submit(spec, payload, 0)

    def delay(self, spec: dict[str, Any], attempt: int) -> float | None:
        """Seconds before retry number ``attempt`` (1-based); None: no more retries."""
        retries = spec.get("max_retries")
        limit = self.retries if retries is None else int(retries)
        if attempt > limit:
            return None
        intervals = spec.get("retry_intervals")
        if intervals:
            return float(intervals[min(attempt, len(intervals)) - 1])
        return float(self.backoff * 2 ** (attempt - 1))

    def _submit(self, spec: dict[str, Any], payload: dict[str, Any], attempt: int) -> None:
        try:
            self._pool.submit(self._deliver, spec, payload, attempt)
        except RuntimeError:  # closed: the process is shutting down
            self.failed += 1

    def _deliver(self, spec: dict[str, Any], payload: dict[str, Any], attempt: int) -> None:
        url = str(spec["url"])
        auth = spec.get("auth")
        try:
            response = httpx.request(
                spec.get("method", "POST"),
                url,
                json=payload,
                headers=spec.get("headers") or {},
                cookies=spec.get("cookies") or None,
                auth=(str(auth[0]), str(auth[1])) if auth else None,
                timeout=float(spec.get("timeout", 5.0)),
                follow_redirects=False,
            )
        except httpx.HTTPError as exc:
            log.info("webhook %s attempt %d failed: %s", url, attempt + 1, type(exc).__name__)
        else:
            if response.status_code < 500:
                self.delivered += 1
                if response.status_code >= 400:
                    log.warning("webhook %s answered %s", url, response.status_code)
                return
            log.info("webhook %s attempt %d answered %s", url, attempt + 1, response.status_code)
        wait = self.delay(spec, attempt + 1)
        if wait is None:
            self.failed += 1
            log.warning("webhook %s gave up after %d attempt(s)", url, attempt + 1)
            return
        self._later(wait, spec, payload, attempt + 1)

    def _later(self, wait: float, spec: dict[str, Any], payload: dict[str, Any], n: int) -> None:
        with self._wake:
            if self._closed or len(self._due) >= MAX_PENDING:
                self.failed += 1
                log.warning("webhook %s: retry dropped (shutting down or too many)", spec["url"])
                return
            due = time.monotonic() + wait
            heapq.heappush(self._due, (due, next(self._order), spec, payload, n))
            if self._scheduler is None:
                self._scheduler = threading.Thread(
                    target=self._schedule, name="webhook-retries", daemon=True
                )
                self._scheduler.start()
            self._wake.notify()

    def _schedule(self) -> None:
        while True:
            with self._wake:
                while not self._closed and (not self._due or self._due[0][0] > time.monotonic()):
                    timeout = self._due[0][0] - time.monotonic() if self._due else None
                    self._wake.wait(timeout)
                if self._closed:
                    return
                _, _, spec, payload, attempt = heapq.heappop(self._due)
            self._submit(spec, payload, attempt)

    def close(self) -> None:
        with self._wake:
            self._closed = True
            self.failed += len(self._due)
            self._due.clear()
            self._wake.notify_all()
        self._pool.shutdown(wait=False, cancel_futures=True)
