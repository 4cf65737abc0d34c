"""users.password_changed_at (password expiry) and users.password_history (the hashes of the
passwords a person chose, which may not be chosen again)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("password_changed_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("password_history", sa.JSON(), nullable=True))
    # existing passwords: their age counts from the upgrade (a full period before expiry)
    op.execute("UPDATE users SET password_changed_at = CURRENT_TIMESTAMP")
    op.execute("UPDATE users SET password_history = '[]'")
    with op.batch_alter_table("users") as batch:
        batch.alter_column("password_history", existing_type=sa.JSON(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("password_history")
        batch.drop_column("password_changed_at")
