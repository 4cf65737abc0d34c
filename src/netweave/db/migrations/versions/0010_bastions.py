"""bastions: SSH jump hosts with their own credential, in front of devices (and of each
other, for two-hop chains)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bastions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.Column("credential_id", sa.Integer(), nullable=True),
        sa.Column("via_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credentials.id"],
            name=op.f("fk_bastions_credential_id_credentials"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["via_id"],
            ["bastions.id"],
            name=op.f("fk_bastions_via_id_bastions"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bastions")),
        sa.UniqueConstraint("name", name=op.f("uq_bastions_name")),
    )
    with op.batch_alter_table("bastions") as batch:
        batch.create_index(batch.f("ix_bastions_credential_id"), ["credential_id"], unique=False)
        batch.create_index(batch.f("ix_bastions_via_id"), ["via_id"], unique=False)
    with op.batch_alter_table("devices") as batch:
        batch.add_column(sa.Column("bastion_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_devices_bastion_id_bastions"),
            "bastions",
            ["bastion_id"],
            ["id"],
            ondelete="RESTRICT",
        )
        batch.create_index(batch.f("ix_devices_bastion_id"), ["bastion_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("devices") as batch:
        batch.drop_index(batch.f("ix_devices_bastion_id"))
        batch.drop_constraint(batch.f("fk_devices_bastion_id_bastions"), type_="foreignkey")
        batch.drop_column("bastion_id")
    op.drop_table("bastions")
