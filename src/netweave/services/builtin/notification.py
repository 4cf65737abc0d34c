"""Notification: one message about the run so far, to a Slack, Mattermost or Microsoft
Teams incoming webhook, or by e-mail through NetWeave's mail relay (the ``smtp_*``
settings). Its subject and body are Jinja2 templates over every result of the run so far;
``include_report`` adds the run's report (its ``report`` option, rendered now).

A privileged type: it reaches any URL from a NetWeave host. A webhook URL is a credential
(whoever has it can post to the channel): it is stored encrypted, never shown, and the
result names only its scheme and host."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from typing import Any, Literal

import httpx
from pydantic import EmailStr, Field, SecretStr, field_validator, model_validator

from netweave.foundation.errors import NetWeaveError
from netweave.services.base import (
    Service,
    ServiceContext,
    ServiceInputs,
    ServiceOutcome,
    Template,
)

Channel = Literal["slack", "mattermost", "teams", "email"]
WEBHOOKS = ("slack", "mattermost", "teams")
MAX_TEXT = 100_000  # characters of the rendered text kept in the result
DEFAULT_BODY = (
    "{% set failed = results | rejectattr('success') | list %}"
    "{{ results | length }} result(s), {{ failed | length }} failed"
    "{% for r in failed %}\n- {{ r.device or 'all targets' }}: {{ r.step }} failed{% endfor %}"
)


class NotificationInputs(ServiceInputs):
    channel: Channel = Field(description="Where the message goes")
    webhook_url: SecretStr | None = Field(
        default=None,
        description="Slack, Mattermost or Teams incoming webhook URL (a credential: stored "
        "encrypted, never shown)",
    )
    teams_format: Literal["adaptive_card", "message_card"] = Field(
        default="adaptive_card",
        description="Teams: an Adaptive Card (Workflows webhooks) or a MessageCard (Office "
        "365 connectors)",
    )
    recipients: list[EmailStr] = Field(
        default_factory=list, max_length=100, description="E-mail: the addresses, one per line"
    )
    subject: Template = Field(
        default="NetWeave notification",
        max_length=1000,
        description="E-mail subject, card title (Jinja2 over results, devices, vars)",
    )
    body: Template = Field(
        default=DEFAULT_BODY,
        min_length=1,
        max_length=50_000,
        description="The message (Jinja2): results lists every result of the run so far "
        "(step, service, device, success, result); devices, vars; report when included",
        json_schema_extra={"format": "textarea"},
    )
    blocks: list[dict[str, Any]] | None = Field(
        default=None,
        max_length=50,
        description="Slack: Block Kit blocks sent with the text (string values are Jinja2)",
    )
    attachments: list[dict[str, Any]] | None = Field(
        default=None,
        max_length=20,
        description="Slack, Mattermost: message attachments sent with the text (string "
        "values are Jinja2)",
    )
    include_report: bool = Field(
        default=False,
        description="Add the run's report (the workflow's report option, rendered over the "
        "results so far): in the message for webhooks, attached as report.txt to e-mail",
    )
    timeout: float = Field(default=10, gt=0, le=120, description="Seconds to deliver")

    @field_validator("webhook_url")
    @classmethod
    def _http_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        try:
            url = httpx.URL(value.get_secret_value())
        except (httpx.InvalidURL, TypeError):
            raise ValueError("not a URL") from None
        if url.scheme not in ("http", "https") or not url.host:
            raise ValueError("must be an http:// or https:// URL with a host")
        return value

    @model_validator(mode="after")
    def _destination(self) -> NotificationInputs:
        if self.channel in WEBHOOKS and self.webhook_url is None:
            raise ValueError(f"webhook_url: {self.channel} needs its incoming webhook URL")
        if self.channel == "email" and not self.recipients:
            raise ValueError("recipients: e-mail needs at least one address")
        if self.blocks and self.channel != "slack":
            raise ValueError("blocks: Slack only")
        if self.attachments and self.channel not in ("slack", "mattermost"):
            raise ValueError("attachments: Slack and Mattermost only")
        return self


def masked(url: str) -> str:
    """``scheme://host[:port]/********``: the URL without its secret path and query."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return "********"
    port = f":{parsed.port}" if parsed.port else ""
    return f"{parsed.scheme}://{parsed.host}{port}/********"


def _rendered(value: Any, ctx: ServiceContext, extra: dict[str, Any]) -> Any:
    if isinstance(value, str):
        return ctx.render(value, **extra)
    if isinstance(value, dict):
        return {key: _rendered(item, ctx, extra) for key, item in value.items()}
    if isinstance(value, list):
        return [_rendered(item, ctx, extra) for item in value]
    return value


def payload(
    inputs: NotificationInputs,
    subject: str,
    text: str,
    report: str | None,
    blocks: list[Any] | None = None,
    attachments: list[Any] | None = None,
) -> dict[str, Any]:
    """The JSON each webhook expects: Slack and Mattermost ``{"text": ...}`` (+ blocks,
    attachments; the report as a code block), Teams an Adaptive Card in a message or a
    MessageCard. ``blocks`` and ``attachments``: already rendered."""
    if inputs.channel in ("slack", "mattermost"):
        message = text if report is None else f"{text}\n```\n{report}\n```"
        body: dict[str, Any] = {"text": message}
        if blocks:
            body["blocks"] = blocks
        if attachments:
            body["attachments"] = attachments
        return body
    if inputs.teams_format == "message_card":
        card: dict[str, Any] = {
            "@type": "MessageCard",
            "@context": "https://schema.org/extensions",
            "summary": subject,
            "title": subject,
            "text": text,
        }
        if report is not None:
            card["sections"] = [{"title": "Report", "text": f"<pre>{_html(report)}</pre>"}]
        return card
    elements: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": subject, "weight": "Bolder", "size": "Medium", "wrap": True},
        {"type": "TextBlock", "text": text, "wrap": True},
    ]
    if report is not None:
        elements.append(
            {"type": "TextBlock", "text": report, "wrap": True, "fontType": "Monospace"}
        )
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "body": elements,
                },
            }
        ],
    }


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class Notification(Service[NotificationInputs]):
    title = "Notification"
    description = (
        "Send a message about the run (results so far, its report) to Slack, Mattermost, "
        "Microsoft Teams or by e-mail."
    )
    Inputs = NotificationInputs
    per_device = False
    privileged = True

    def run(self, ctx: ServiceContext, inputs: NotificationInputs) -> ServiceOutcome:
        report = ctx.run_report() if inputs.include_report else None
        if inputs.include_report and report is None:
            ctx.log("include_report: the run declares no report (its report option is empty)")
        values: dict[str, Any] = {"results": ctx.run_results(), "report": report or ""}
        subject = ctx.render(inputs.subject, **values)
        text = ctx.render(inputs.body, **values)
        result: dict[str, Any] = {
            "channel": inputs.channel,
            "status_code": None,
            "subject": subject,
            "text": text[:MAX_TEXT],
            "report_included": report is not None,
        }
        if inputs.channel == "email":
            return self._mail(ctx, inputs, subject, text, report, result)
        assert inputs.webhook_url is not None  # the inputs' validator
        body = payload(
            inputs,
            subject,
            text,
            report,
            _rendered(inputs.blocks, ctx, values),
            _rendered(inputs.attachments, ctx, values),
        )
        return self._post(ctx, inputs, inputs.webhook_url.get_secret_value(), body, result)

    def _post(
        self,
        ctx: ServiceContext,
        inputs: NotificationInputs,
        url: str,
        body: dict[str, Any],
        result: dict[str, Any],
    ) -> ServiceOutcome:
        shown = masked(url)
        result["webhook"] = shown
        try:
            with httpx.Client(timeout=inputs.timeout, follow_redirects=False) as client:
                response = client.post(url, json=body)
        except httpx.HTTPError as exc:
            reason = f"{type(exc).__name__}: {exc}".replace(url, shown)
            ctx.log(f"{inputs.channel}: POST {shown} failed: {reason}")
            error = f"{inputs.channel}: could not deliver to {shown}: {reason}"
            return ServiceOutcome(False, {**result, "error": error})
        result["status_code"] = response.status_code
        ctx.log(f"{inputs.channel}: POST {shown}: HTTP {response.status_code}")
        if response.status_code >= 400:
            answer = response.text[:300].replace(url, shown)
            error = (
                f"{inputs.channel}: the webhook answered HTTP {response.status_code}"
                f"{': ' + answer if answer else ''}"
            )
            return ServiceOutcome(False, {**result, "error": error})
        return ServiceOutcome(True, result)

    def _mail(
        self,
        ctx: ServiceContext,
        inputs: NotificationInputs,
        subject: str,
        text: str,
        report: str | None,
        result: dict[str, Any],
    ) -> ServiceOutcome:
        message = EmailMessage()
        message["Subject"] = " ".join(subject.split())  # one header line
        message["To"] = ", ".join(inputs.recipients)
        message.set_content(text)
        if report is not None:
            message.add_attachment(report, filename="report.txt")
        result["recipients"] = list(inputs.recipients)
        try:
            refused = ctx.send_mail(message)
        except NetWeaveError as exc:
            return ServiceOutcome(False, {**result, "error": f"email: {exc.to_detail()}"})
        except (OSError, smtplib.SMTPException) as exc:
            ctx.log(f"email: {type(exc).__name__}: {exc}")
            error = f"email: could not deliver: {type(exc).__name__}: {exc}"
            return ServiceOutcome(False, {**result, "error": error})
        ctx.log(f"email: sent to {len(inputs.recipients) - len(refused)} recipient(s)")
        if refused:
            result["refused"] = refused
            error = f"email: the relay refused {', '.join(sorted(refused))}"
            return ServiceOutcome(False, {**result, "error": error})
        return ServiceOutcome(True, result)
