"""web SSH terminal: the audit of terminal sessions

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 18:56:22.911821
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXED = ("device_id", "device_name", "started_at", "user_id", "username")


def upgrade() -> None:
    op.create_table(
        "terminal_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("device_name", sa.String(length=255), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("bytes_in", sa.BigInteger(), nullable=False),
        sa.Column("bytes_out", sa.BigInteger(), nullable=False),
        sa.Column("close_reason", sa.String(length=255), nullable=False),
        sa.Column("transcript", sa.Text(), nullable=False),
        sa.Column("transcript_truncated", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["devices.id"],
            name=op.f("fk_terminal_sessions_device_id_devices"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_terminal_sessions_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_terminal_sessions")),
    )
    with op.batch_alter_table("terminal_sessions", schema=None) as batch_op:
        for column in INDEXED:
            batch_op.create_index(
                batch_op.f(f"ix_terminal_sessions_{column}"), [column], unique=False
            )


def downgrade() -> None:
    with op.batch_alter_table("terminal_sessions", schema=None) as batch_op:
        for column in INDEXED:
            batch_op.drop_index(batch_op.f(f"ix_terminal_sessions_{column}"))
    op.drop_table("terminal_sessions")
