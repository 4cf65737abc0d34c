"""Run notifications: a webhook POST of the run summary, or an email through SMTP. The run's
report (its service's or workflow's ``report`` option, rendered when it ended) goes with
both when there is one."""

from __future__ import annotations

import logging
import smtplib
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import httpx

from netweave.core.automation.schemas import RunRead
from netweave.foundation.errors import ConfigurationError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MailRelay:
    """The SMTP relay of the ``smtp_*`` settings: run notifications and notification
    steps send through it."""

    host: str | None
    port: int
    sender: str

    def send(self, message: EmailMessage, timeout: float = 10) -> dict[str, Any]:
        """Send ``message`` (from ``sender`` unless it says otherwise); the recipients the
        relay refused. ConfigurationError without a relay; OSError or SMTPException when
        delivery fails."""
        if not self.host:
            raise ConfigurationError(
                "no mail relay is configured (NETWEAVE_SMTP_HOST)", field="smtp_host"
            )
        if not message["From"]:
            message["From"] = self.sender
        with smtplib.SMTP(self.host, self.port, timeout=timeout) as smtp:
            refused = smtp.send_message(message)
        return {
            address: [code, reply.decode(errors="replace")]
            for address, (code, reply) in refused.items()
        }


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
        if run.report is not None:
            payload["report"] = run.report
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
            message["To"] = ", ".join(spec["email"])
            counts = ", ".join(f"{k} {v}" for k, v in payload["counts"].items())
            text = f"Run {run.id} of {run.name} ended {run.status}.\n{counts}\n"
            if run.report is not None:
                text += f"\n{run.report}\n"
            message.set_content(text)
            try:
                MailRelay(self.smtp_host, self.smtp_port, self.sender).send(message)
                self.sent.append(("email", message["To"]))
            except (OSError, smtplib.SMTPException) as exc:
                log.warning("run %s: email failed: %s", run.id, exc)
