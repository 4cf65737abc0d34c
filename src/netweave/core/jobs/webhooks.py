"""Job-completion webhooks: sent from a small thread pool with retries and exponential
back-off; header values are never logged."""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

log = logging.getLogger(__name__)


class WebhookSender:
    def __init__(self, attempts: int = 4, backoff: float = 0.5, threads: int = 4) -> None:
        self.attempts = attempts
        self.backoff = backoff
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="webhook")
        self.delivered = 0
        self.failed = 0

    def send(self, spec: dict[str, Any], payload: dict[str, Any]) -> None:
        self._pool.submit(self._deliver, spec, payload)

    def _deliver(self, spec: dict[str, Any], payload: dict[str, Any]) -> None:
        url = str(spec["url"])
        for attempt in range(self.attempts):
            try:
                response = httpx.request(
                    spec.get("method", "POST"),
                    url,
                    json=payload,
                    headers=spec.get("headers") or {},
                    timeout=float(spec.get("timeout", 5.0)),
                )
                if response.status_code < 500:
                    self.delivered += 1
                    if response.status_code >= 400:
                        log.warning("webhook %s answered %s", url, response.status_code)
                    return
            except httpx.HTTPError as exc:
                log.info("webhook %s attempt %d failed: %s", url, attempt + 1, type(exc).__name__)
            time.sleep(self.backoff * 2**attempt)
        self.failed += 1
        log.warning("webhook %s gave up after %d attempts", url, self.attempts)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
