"""trust model: credential scopes (derived from the devices that use each credential), and
who saved each trigger and event rule (their fences are checked again when they fire)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 05:00:00
"""

import ipaddress
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _derived_scope(hosts: list[str]) -> dict[str, list[str]]:
    """Exactly the addresses (one-host networks) and names of the devices using it."""
    networks: set[str] = set()
    names: set[str] = set()
    for host in hosts:
        try:
            networks.add(str(ipaddress.ip_network(host.strip())))
        except ValueError:
            names.add(host.strip().lower())
    return {"networks": sorted(networks), "hosts": sorted(names), "pools": []}


def upgrade() -> None:
    with op.batch_alter_table("credentials") as batch:
        batch.add_column(sa.Column("scope", sa.JSON(), nullable=True))
    with op.batch_alter_table("triggers") as batch:
        batch.add_column(
            sa.Column("created_by", sa.String(length=128), nullable=False, server_default="")
        )
    with op.batch_alter_table("event_rules") as batch:
        batch.add_column(
            sa.Column("created_by", sa.String(length=128), nullable=False, server_default="")
        )
    connection = op.get_bind()
    credentials = sa.table("credentials", sa.column("id", sa.Integer), sa.column("scope", sa.JSON))
    devices = sa.table(
        "devices", sa.column("host", sa.String), sa.column("credential_id", sa.Integer)
    )
    used: dict[int, list[str]] = {}
    for host, credential_id in connection.execute(
        sa.select(devices.c.host, devices.c.credential_id).where(
            devices.c.credential_id.is_not(None)
        )
    ):
        used.setdefault(credential_id, []).append(host)
    for (credential_id,) in connection.execute(sa.select(credentials.c.id)):
        connection.execute(
            credentials.update()
            .where(credentials.c.id == credential_id)
            .values(scope=_derived_scope(used.get(credential_id, [])))
        )


def downgrade() -> None:
    with op.batch_alter_table("event_rules") as batch:
        batch.drop_column("created_by")
    with op.batch_alter_table("triggers") as batch:
        batch.drop_column("created_by")
    with op.batch_alter_table("credentials") as batch:
        batch.drop_column("scope")
