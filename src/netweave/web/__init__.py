"""The web UI: a Vite build of ``web/`` (npm registry packages, no CDN) served by the API
server under ``/ui/``."""

from netweave.web.mount import STATIC, mount_ui

__all__ = ["STATIC", "mount_ui"]
