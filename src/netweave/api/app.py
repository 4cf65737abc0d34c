"""Application factory."""

from __future__ import annotations

from fastapi import FastAPI

import netweave
from netweave.api.errors import install_error_handlers
from netweave.api.routes import (
    api_keys,
    auth,
    automations,
    changelog,
    configs,
    credentials,
    dashboard,
    device_ops,
    devices,
    events,
    health,
    inventory,
    links,
    metrics,
    network,
    pools,
    runs,
    tasks,
    terminal,
    triggers,
    users,
)
from netweave.core.runtime import Runtime


def create_app(runtime: Runtime) -> FastAPI:
    app = FastAPI(
        title="NetWeave",
        version=netweave.__version__,
        description="Network automation: device operations API and NMS. "
        "Authenticate with the X-API-KEY header (create keys under /api/v1/api-keys).",
    )
    app.state.runtime = runtime
    install_error_handlers(app)
    for module in (
        health,
        auth,
        users,
        api_keys,
        credentials,
        devices,
        links,
        pools,
        inventory,
        device_ops,
        metrics,
        runs,
        configs,
        tasks,
        changelog,
        triggers,
        dashboard,
    ):
        app.include_router(module.router)
    for router in (
        automations.types_router,
        automations.services_router,
        automations.workflows_router,
        automations.transfer_router,
        events.syslog_router,
        events.rules_router,
        terminal.router,
        terminal.sessions_router,
        network.router,
        network.ui_router,
    ):
        app.include_router(router)
    return app
