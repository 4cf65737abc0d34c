"""Run notifications: a webhook POST of the run summary, or an email through SMTP."""

from __future__ import annotations

import logging
import smtplib
import threading
from email.message import EmailMessage
from typing import Any

import httpx

from netweave.core.automation.schemas import RunRead

log = logging.getLogger(__name__)


class Notifier:
    def __init__(self, smtp_host: str | None, smtp_port: int, sender: str) -> None:
        self.smtp_host = smtp_host
        self.smtp_port = smtp_port
        self.sender = sender
        self.sent: list[tuple[str, str]] = []  # (channel, target) for /system/stats

    def send(self, spec: dict[str, Any], run: RunRead) -> None:
        when = spec.get("when", "always")
        if when != "always" and (run.status == "success") != (when == "success"):
            return
        threading.Thread(target=self._deliver, args=(spec, run), daemon=True).start()

    def _deliver(self, spec: dict[str, Any], run: RunRead) -> None:
        payload = {
            "run": run.id,
            "name": run.name,
            "status": run.status,
            "counts": run.summary.get("counts", {}),
            "started_at": run.started_at.isoformat() if run.started_at else None,
            "ended_at": run.ended_at.isoformat() if run.ended_at else None,
        }
        if spec.get("webhook"):
            try:
                httpx.post(str(spec["webhook"]), json=payload, timeout=10)
                self.sent.append(("webhook", str(spec["webhook"])))
            except httpx.HTTPError as exc:
                log.warning("run %s: webhook failed: %s", run.id, exc)
        if spec.get("email"):
            if not self.smtp_host:
                log.warning("run %s: email notification skipped: no smtp_host set", run.id)
                return
            message = EmailMessage()
            message["Subject"] = f"[NetWeave] {run.name}: {run.status}"
            message["From"] = self.sender
            message["To"] = ", ".join(spec["email"])
            counts = ", ".join(f"{k} {v}" for k, v in payload["counts"].items())
            message.set_content(f"Run {run.id} of {run.name} ended {run.status}.\n{counts}\n")
            try:
                with smtplib.SMTP(self.smtp_host, self.smtp_port, timeout=10) as smtp:
                    smtp.send_message(message)
                self.sent.append(("email", message["To"]))
            except (OSError, smtplib.SMTPException) as exc:
                log.warning("run %s: email failed: %s", run.id, exc)
