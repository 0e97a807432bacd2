"""chaingate serve: projects, files, evaluations, findings, alerts, webhooks, deliveries,
tokens, watch state and seen changes

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def _project_fk() -> sa.ForeignKey:
    return sa.ForeignKey("svc_project.id", ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "svc_project",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
    )
    op.create_table(
        "svc_project_file",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("project_id", sa.Integer, _project_fk(), nullable=False),
        sa.Column("path", sa.String(512), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.UniqueConstraint("project_id", "path"),
    )
    op.create_table(
        "svc_project_package",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("project_id", sa.Integer, _project_fk(), nullable=False),
        sa.Column("ecosystem", sa.String(16), nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("version", sa.String(256), nullable=True),
        sa.UniqueConstraint("project_id", "ecosystem", "name", "version"),
    )
    op.create_index("ix_svc_project_package_name", "svc_project_package", ["ecosystem", "name"])
    op.create_table(
        "svc_evaluation",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("project_id", sa.Integer, _project_fk(), nullable=False),
        sa.Column("evaluated_at", _TS, nullable=False),
        sa.Column("document", sa.JSON, nullable=False),
        sa.Column("counts", sa.JSON, nullable=False),
        sa.Column("principals", sa.Integer, nullable=False),
    )
    op.create_index("ix_svc_evaluation_project", "svc_evaluation", ["project_id", "evaluated_at"])
    op.create_table(
        "svc_finding",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("project_id", sa.Integer, _project_fk(), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("signal", sa.String(128), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("ref", sa.String(600), nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("generation", sa.Integer, nullable=False),
        sa.Column("is_open", sa.Boolean, nullable=False),
        sa.Column("opened_at", _TS, nullable=False),
        sa.Column("closed_at", _TS, nullable=True),
        sa.Column("history", sa.JSON, nullable=False),
        sa.UniqueConstraint("project_id", "key"),
    )
    op.create_table(
        "svc_alert",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("project_id", sa.Integer, _project_fk(), nullable=False),
        sa.Column("finding_key", sa.String(64), nullable=False),
        sa.Column("generation", sa.Integer, nullable=False),
        sa.Column("signal", sa.String(128), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("seen_at", _TS, nullable=False),
        sa.Column("body", sa.JSON, nullable=False),
        sa.UniqueConstraint("project_id", "finding_key", "generation"),
    )
    op.create_index("ix_svc_alert_created", "svc_alert", ["created_at"])
    op.create_table(
        "svc_webhook",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("secret", sa.String(512), nullable=False),
        sa.Column("min_severity", sa.String(16), nullable=False),
        sa.Column("format", sa.String(16), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
    )
    op.create_table(
        "svc_delivery",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "alert_id",
            sa.Integer,
            sa.ForeignKey("svc_alert.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "webhook_id",
            sa.Integer,
            sa.ForeignKey("svc_webhook.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("idempotency_key", sa.String(64), nullable=False, unique=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("next_attempt_at", _TS, nullable=False),
        sa.Column("give_up_at", _TS, nullable=False),
        sa.Column("delivered_at", _TS, nullable=True),
        sa.Column("last_error", sa.String(1024), nullable=True),
        sa.UniqueConstraint("alert_id", "webhook_id"),
    )
    op.create_index("ix_svc_delivery_due", "svc_delivery", ["status", "next_attempt_at"])
    op.create_table(
        "svc_token",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("read_only", sa.Boolean, nullable=False),
        sa.Column("created_at", _TS, nullable=False),
    )
    op.create_table(
        "svc_watch",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("ecosystem", sa.String(16), nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=True),
        sa.Column("due_at", _TS, nullable=False),
        sa.Column("polled_at", _TS, nullable=True),
        sa.Column("changed_at", _TS, nullable=True),
        sa.Column("last_error", sa.String(1024), nullable=True),
        sa.UniqueConstraint("ecosystem", "name"),
    )
    op.create_table(
        "svc_change",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("ecosystem", sa.String(16), nullable=True),
        sa.Column("name", sa.String(256), nullable=True),
        sa.Column("project_id", sa.Integer, nullable=True),
        sa.Column("seen_at", _TS, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=True),
        sa.Column("done_at", _TS, nullable=True),
    )
    op.create_index("ix_svc_change_pending", "svc_change", ["done_at"])


def downgrade() -> None:
    for table in (
        "svc_change",
        "svc_watch",
        "svc_token",
        "svc_delivery",
        "svc_webhook",
        "svc_alert",
        "svc_finding",
        "svc_evaluation",
        "svc_project_package",
        "svc_project_file",
        "svc_project",
    ):
        op.drop_table(table)
