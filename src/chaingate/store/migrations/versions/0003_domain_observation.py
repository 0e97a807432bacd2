"""domain observations: DNS and RDAP answers for maintainer email domains

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "domain_observation",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("domain", sa.String(256), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("dns", sa.JSON, nullable=True),
        sa.Column("rdap", sa.JSON, nullable=True),
        sa.Column("dns_error", sa.String(1024), nullable=True),
        sa.Column("rdap_error", sa.String(1024), nullable=True),
    )
    op.create_index("ix_domain_observation_domain", "domain_observation", ["domain", "checked_at"])


def downgrade() -> None:
    op.drop_index("ix_domain_observation_domain", "domain_observation")
    op.drop_table("domain_observation")
