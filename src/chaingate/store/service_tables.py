"""Tables of `chaingate serve` (projects, evaluations, findings, alerts, webhooks, deliveries,
tokens, watch state). They live beside the store's tables on `Base` so that one Alembic
history (migration 0006) and one brand-new-database path (`db._create`) make them; the
service's code is in `chaingate.service`, which reads and writes them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from chaingate.store.models import Base


class SvcProject(Base):
    """A watched project: its name and (in SvcProjectFile) the manifests CI pushed."""

    __tablename__ = "svc_project"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SvcProjectFile(Base):
    """One manifest or lock of a project, as uploaded (a validated relative path)."""

    __tablename__ = "svc_project_file"
    __table_args__ = (UniqueConstraint("project_id", "path"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("svc_project.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(String(512))
    text: Mapped[str] = mapped_column(Text)


class SvcProjectPackage(Base):
    """A package a project's inventory holds: which projects a registry change touches."""

    __tablename__ = "svc_project_package"
    __table_args__ = (
        UniqueConstraint("project_id", "ecosystem", "name", "version"),
        Index("ix_svc_project_package_name", "ecosystem", "name"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("svc_project.id", ondelete="CASCADE"))
    ecosystem: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(256))
    version: Mapped[str | None] = mapped_column(String(256), nullable=True)


class SvcEvaluation(Base):
    """One evaluation of a project: the scan JSON document and when it was made."""

    __tablename__ = "svc_evaluation"
    __table_args__ = (Index("ix_svc_evaluation_project", "project_id", "evaluated_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("svc_project.id", ondelete="CASCADE"))
    evaluated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    counts: Mapped[dict[str, int]] = mapped_column(JSON)  # open findings by severity
    principals: Mapped[int] = mapped_column(Integer)


class SvcFinding(Base):
    """A finding of a project over time. `generation` counts its openings: one that goes
    away (closed_at set) and comes back opens a new generation, which is a new alert."""

    __tablename__ = "svc_finding"
    __table_args__ = (UniqueConstraint("project_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("svc_project.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    signal: Mapped[str] = mapped_column(String(128))
    severity: Mapped[str] = mapped_column(String(16))
    ref: Mapped[str] = mapped_column(String(600))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    generation: Mapped[int] = mapped_column(Integer)
    is_open: Mapped[bool] = mapped_column(Boolean)
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    history: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # [{"at", "event"}]


class SvcAlert(Base):
    """An alert: one per (finding, generation), made in the transaction that opened it."""

    __tablename__ = "svc_alert"
    __table_args__ = (
        UniqueConstraint("project_id", "finding_key", "generation"),
        Index("ix_svc_alert_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("svc_project.id", ondelete="CASCADE"))
    finding_key: Mapped[str] = mapped_column(String(64))
    generation: Mapped[int] = mapped_column(Integer)
    signal: Mapped[str] = mapped_column(String(128))
    severity: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # the change's
    body: Mapped[dict[str, Any]] = mapped_column(JSON)


class SvcWebhook(Base):
    __tablename__ = "svc_webhook"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(2048))
    secret: Mapped[str] = mapped_column(String(512))
    min_severity: Mapped[str] = mapped_column(String(16))
    format: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SvcDelivery(Base):
    """One alert to one webhook: pending until the receiver answers 2xx, retried with
    backoff until `give_up_at`, then failed. Committed with the alert, before any attempt."""

    __tablename__ = "svc_delivery"
    __table_args__ = (
        UniqueConstraint("alert_id", "webhook_id"),
        Index("ix_svc_delivery_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("svc_alert.id", ondelete="CASCADE"))
    webhook_id: Mapped[int] = mapped_column(ForeignKey("svc_webhook.id", ondelete="CASCADE"))
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16))  # pending, delivered, failed
    attempts: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    give_up_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(1024), nullable=True)


class SvcToken(Base):
    """An API token: only the SHA-256 of the secret is kept."""

    __tablename__ = "svc_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(256))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    read_only: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SvcWatch(Base):
    """A watched package: the hash of its facts at the last poll, and when it was polled."""

    __tablename__ = "svc_watch"
    __table_args__ = (UniqueConstraint("ecosystem", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ecosystem: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(256))
    content_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    polled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(1024), nullable=True)


class SvcChange(Base):
    """A change the watcher saw (or a project's files replaced): committed before the
    projects using it are re-evaluated; `done_at` is set after their alerts are committed,
    so a crash in between re-evaluates again (at-least-once)."""

    __tablename__ = "svc_change"
    __table_args__ = (Index("ix_svc_change_pending", "done_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ecosystem: Mapped[str | None] = mapped_column(String(16), nullable=True)
    name: Mapped[str | None] = mapped_column(String(256), nullable=True)
    project_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    content_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
