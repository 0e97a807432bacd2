"""ref observations: the commit each git tag in use pointed at, over time

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ref_observation",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("ecosystem", sa.String(16), nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("ref", sa.String(256), nullable=False),
        sa.Column("commit", sa.String(64), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_ref_observation_name", "ref_observation", ["ecosystem", "name", "ref"])


def downgrade() -> None:
    op.drop_index("ix_ref_observation_name", "ref_observation")
    op.drop_table("ref_observation")
