"""credentials resolved from Vault/OpenBao by reference

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("credentials") as batch:
        batch.add_column(
            sa.Column("source", sa.String(length=16), nullable=False, server_default="stored")
        )
        batch.add_column(sa.Column("vault_mount", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("vault_path", sa.String(length=1024), nullable=True))
        batch.add_column(sa.Column("vault_version", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("vault_fields", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("credentials") as batch:
        batch.drop_column("vault_fields")
        batch.drop_column("vault_version")
        batch.drop_column("vault_path")
        batch.drop_column("vault_mount")
        batch.drop_column("source")
