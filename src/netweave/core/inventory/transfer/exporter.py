"""The whole inventory as plain rows (no secrets), ready for any format."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from netweave.core.inventory.credentials import list_credentials
from netweave.core.inventory.pools import pool_filter
from netweave.db.models import Device, Link, Pool


def export_document(session: Session) -> dict[str, list[dict[str, Any]]]:
    credentials = [
        {
            "name": c.name,
            "description": c.description,
            "username": c.username,
            "has_password": c.password_enc is not None,
            "has_ssh_key": c.ssh_key_enc is not None,
            "has_enable_secret": c.enable_secret_enc is not None,
        }
        for c in list_credentials(session)
    ]
    devices = [
        {
            "name": d.name,
            "host": d.host,
            "port": d.port,
            "platform": d.platform,
            "driver": d.driver,
            "vendor": d.vendor,
            "model": d.model,
            "os_version": d.os_version,
            "site": d.site,
            "latitude": d.latitude,
            "longitude": d.longitude,
            "tags": d.tags,
            "credential": d.credential.name if d.credential else None,
            "custom_fields": dict(d.custom_fields or {}),
        }
        for d in session.scalars(
            select(Device).options(joinedload(Device.credential)).order_by(Device.name)
        )
    ]
    link_rows = [
        {
            "name": link.name,
            "source": link.source.name,
            "source_interface": link.source_interface,
            "destination": link.destination.name,
            "destination_interface": link.destination_interface,
            "description": link.description,
        }
        for link in session.scalars(select(Link).order_by(Link.name))
    ]
    pool_rows = []
    for pool in session.scalars(select(Pool).order_by(Pool.name)):
        filt = pool_filter(pool)
        pool_rows.append(
            {
                "name": pool.name,
                "description": pool.description,
                "devices": sorted(m.device.name for m in pool.member_rows),
                "device_filter": filt.model_dump(exclude_defaults=True) if filt else None,
            }
        )
    return {"credentials": credentials, "devices": devices, "links": link_rows, "pools": pool_rows}
