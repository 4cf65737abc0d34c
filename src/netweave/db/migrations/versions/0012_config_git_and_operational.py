"""config_versions.command (operational data: the show command, empty for the running
configuration) and config_versions.commit (the git commit holding the version); versions
are numbered per device and command

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08 00:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("config_versions") as batch:
        batch.add_column(
            sa.Column("command", sa.String(length=255), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("commit", sa.String(length=40), nullable=True))
        batch.drop_constraint(batch.f("uq_config_versions_device_id"), type_="unique")
        batch.create_unique_constraint(
            batch.f("uq_config_versions_device_id"), ["device_id", "command", "version"]
        )
        batch.create_index(batch.f("ix_config_versions_commit"), ["commit"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("config_versions") as batch:
        batch.drop_index(batch.f("ix_config_versions_commit"))
        batch.drop_constraint(batch.f("uq_config_versions_device_id"), type_="unique")
    # operational data has no place in the older schema
    op.execute(sa.text("DELETE FROM config_versions WHERE command <> ''"))
    with op.batch_alter_table("config_versions") as batch:
        batch.create_unique_constraint(
            batch.f("uq_config_versions_device_id"), ["device_id", "version"]
        )
        batch.drop_column("commit")
        batch.drop_column("command")
