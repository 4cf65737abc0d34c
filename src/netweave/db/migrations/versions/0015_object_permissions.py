"""per-object permissions: object_acls (an object with one is restricted) and object_grants
(per-group read/run/edit); owners of credentials and pools (created_by)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "object_acls",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.UniqueConstraint("kind", "object_id"),
    )
    op.create_table(
        "object_grants",
        sa.Column(
            "acl_id",
            sa.Integer(),
            sa.ForeignKey("object_acls.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "group_id",
            sa.Integer(),
            sa.ForeignKey("groups.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("can_read", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("can_run", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("can_edit", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_index("ix_object_grants_group_id", "object_grants", ["group_id"])
    for table in ("credentials", "pools"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column("created_by", sa.String(128), nullable=False, server_default="")
            )


def downgrade() -> None:
    for table in ("credentials", "pools"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("created_by")
    op.drop_index("ix_object_grants_group_id", table_name="object_grants")
    op.drop_table("object_grants")
    op.drop_table("object_acls")
