"""Inventory: credentials, bastions, devices (+ tags), links and pools."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from netweave.db.base import Base, Timestamped


class Credential(Timestamped, Base):
    """Secrets are Fernet tokens; they are never read back by any API response.

    ``source`` is ``stored`` (the sealed columns hold the secrets) or ``vault`` (the
    ``vault_*`` columns reference a KV v2 secret in Vault/OpenBao, read by the worker only;
    ``vault_fields`` maps ``username``/``password``/``ssh_key``/``enable_secret`` to keys of
    that secret, and a non-empty ``username`` on the row is used as is)."""

    __tablename__ = "credentials"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    username: Mapped[str] = mapped_column(String(128))
    password_enc: Mapped[str | None] = mapped_column(Text, default=None)
    ssh_key_enc: Mapped[str | None] = mapped_column(Text, default=None)
    enable_secret_enc: Mapped[str | None] = mapped_column(Text, default=None)
    source: Mapped[str] = mapped_column(String(16), default="stored", server_default="stored")
    vault_mount: Mapped[str | None] = mapped_column(String(255), default=None)
    vault_path: Mapped[str | None] = mapped_column(String(1024), default=None)
    vault_version: Mapped[int | None] = mapped_column(default=None)
    vault_fields: Mapped[dict[str, str] | None] = mapped_column(JSON, default=None)
    # where the credential may be offered: {"networks": [CIDR], "hosts": [glob],
    # "pools": [pool id]}; None or empty lists: nowhere (set by an admin)
    scope: Mapped[dict[str, list[Any]] | None] = mapped_column(JSON, default=None)
    created_by: Mapped[str] = mapped_column(String(128), default="", server_default="")  # owner


class Bastion(Timestamped, Base):
    """An SSH jump host in front of devices, with its own login (a credential, scoped like
    any other: offered only if its scope holds the bastion's address). ``via``: the bastion
    in front of this one (a chain of at most two hops). Only admins create or change one."""

    __tablename__ = "bastions"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    host: Mapped[str] = mapped_column(String(255))
    port: Mapped[int] = mapped_column(default=22)
    credential_id: Mapped[int | None] = mapped_column(
        ForeignKey("credentials.id", ondelete="RESTRICT"), default=None, index=True
    )
    via_id: Mapped[int | None] = mapped_column(
        ForeignKey("bastions.id", ondelete="RESTRICT"), default=None, index=True
    )

    credential: Mapped[Credential | None] = relationship()
    via: Mapped[Bastion | None] = relationship(remote_side="Bastion.id")


class Device(Timestamped, Base):
    __tablename__ = "devices"
    __table_args__ = (Index("ix_devices_host_port", "host", "port"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    host: Mapped[str] = mapped_column(String(255))
    port: Mapped[int] = mapped_column(default=22)
    platform: Mapped[str] = mapped_column(String(64), index=True)
    driver: Mapped[str] = mapped_column(String(32), default="netmiko")
    vendor: Mapped[str] = mapped_column(String(64), default="", index=True)
    model: Mapped[str] = mapped_column(String(128), default="")
    os_version: Mapped[str] = mapped_column(String(128), default="")
    site: Mapped[str] = mapped_column(String(128), default="", index=True)
    latitude: Mapped[float | None] = mapped_column(Float, default=None)
    longitude: Mapped[float | None] = mapped_column(Float, default=None)
    custom_fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    credential_id: Mapped[int | None] = mapped_column(
        ForeignKey("credentials.id", ondelete="RESTRICT"), default=None, index=True
    )

    bastion_id: Mapped[int | None] = mapped_column(
        ForeignKey("bastions.id", ondelete="RESTRICT"), default=None, index=True
    )

    credential: Mapped[Credential | None] = relationship()
    bastion: Mapped[Bastion | None] = relationship()
    tag_rows: Mapped[list[DeviceTag]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="DeviceTag.tag"
    )

    @property
    def tags(self) -> list[str]:
        return [row.tag for row in self.tag_rows]


class DeviceTag(Base):
    __tablename__ = "device_tags"

    device_id: Mapped[int] = mapped_column(
        ForeignKey("devices.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class Link(Timestamped, Base):
    __tablename__ = "links"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"), index=True)
    destination_id: Mapped[int] = mapped_column(
        ForeignKey("devices.id", ondelete="CASCADE"), index=True
    )
    source_interface: Mapped[str] = mapped_column(String(128), default="")
    destination_interface: Mapped[str] = mapped_column(String(128), default="")
    description: Mapped[str] = mapped_column(Text, default="")

    source: Mapped[Device] = relationship(foreign_keys=[source_id], lazy="joined")
    destination: Mapped[Device] = relationship(foreign_keys=[destination_id], lazy="joined")


class Pool(Timestamped, Base):
    """A pool = its static members plus, when ``device_filter`` is set, every device matching
    it, resolved live at query time."""

    __tablename__ = "pools"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    device_filter: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    created_by: Mapped[str] = mapped_column(String(128), default="", server_default="")  # owner

    member_rows: Mapped[list[PoolMember]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )


class PoolMember(Base):
    __tablename__ = "pool_members"

    pool_id: Mapped[int] = mapped_column(
        ForeignKey("pools.id", ondelete="CASCADE"), primary_key=True
    )
    device_id: Mapped[int] = mapped_column(
        ForeignKey("devices.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    device: Mapped[Device] = relationship(lazy="joined")
