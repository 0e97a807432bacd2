"""proxy verdicts: the proxy's per-version verdicts of a project at an upstream serial

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "proxy_verdict",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("ecosystem", sa.String(16), nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("serial", sa.String(256), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("verdict", sa.JSON, nullable=False),
        sa.UniqueConstraint("ecosystem", "name"),
    )


def downgrade() -> None:
    op.drop_table("proxy_verdict")
