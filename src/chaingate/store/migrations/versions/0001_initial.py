"""initial: project and release observations, scan runs

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "project_observation",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("ecosystem", sa.String(16), nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("source_url", sa.String(2048), nullable=False),
        sa.Column("last_serial", sa.Integer, nullable=True),
        sa.Column("latest_version", sa.String(256), nullable=True),
        sa.Column("owners", sa.JSON, nullable=True),
        sa.Column("organization", sa.String(256), nullable=True),
        sa.Column("emails", sa.JSON, nullable=False),
        sa.Column("repository", sa.String(2048), nullable=True),
        sa.Column("release_count", sa.Integer, nullable=False),
        sa.Column("first_release_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index(
        "ix_project_observation_name",
        "project_observation",
        ["ecosystem", "name", "observed_at"],
    )
    op.create_table(
        "release_observation",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("ecosystem", sa.String(16), nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("version", sa.String(256), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("yanked", sa.Boolean, nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("ecosystem", "name", "version"),
    )
    op.create_table(
        "scan_run",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("root", sa.String(4096), nullable=False),
        sa.Column("index_url", sa.String(2048), nullable=False),
        sa.Column("packages", sa.Integer, nullable=False),
        sa.Column("findings", sa.Integer, nullable=False),
        sa.Column("incomplete", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("scan_run")
    op.drop_table("release_observation")
    op.drop_index("ix_project_observation_name", "project_observation")
    op.drop_table("project_observation")
