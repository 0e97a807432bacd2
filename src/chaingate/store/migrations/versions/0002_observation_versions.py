"""observation versions: the version list of each observation, the baseline for new releases

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("project_observation") as batch:
        batch.add_column(sa.Column("versions", sa.JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("project_observation") as batch:
        batch.drop_column("versions")
