"""Logging setup with a filter that masks known secrets in every record."""

from __future__ import annotations

import logging
import re

_SECRET_PATTERNS = [
    re.compile(r"(?i)(password|secret|api[_-]?key|token)(['\"]?\s*[:=]\s*['\"]?)([^\s'\",}]+)"),
]
MASK = "********"
NOISY_LIBRARIES = ("paramiko", "paramiko.transport", "scrapli", "napalm", "asyncssh")


class SecretMaskingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_secrets(message)
        if masked != message:
            record.msg = masked
            record.args = None
        return True


def mask_secrets(text: str) -> str:
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)
    return text


def configure_logging(level: str = "INFO") -> None:
    root = logging.getLogger()
    if not any(isinstance(f, SecretMaskingFilter) for f in root.filters):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler.addFilter(SecretMaskingFilter())
        root.addHandler(handler)
    root.setLevel(level.upper())
    # Device libraries log every connection at INFO (two lines per device session: 2,000
    # lines for a cold 1,000-device bulk); their warnings and errors still show.
    for chatty in NOISY_LIBRARIES:
        logging.getLogger(chatty).setLevel(max(logging.WARNING, root.level))
