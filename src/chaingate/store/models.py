"""Tables of the store. Every row says when it was seen; nothing is overwritten in place
except `last_seen_at`, so a later run can tell what changed and when."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class ProjectObservation(Base):
    """What the registry said about a project. A new row when the content changes
    (different `content_hash`); otherwise only `last_seen_at` moves."""

    __tablename__ = "project_observation"
    __table_args__ = (Index("ix_project_observation_name", "ecosystem", "name", "observed_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ecosystem: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(256))
    observed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    content_hash: Mapped[str] = mapped_column(String(64))
    source_url: Mapped[str] = mapped_column(String(2048))
    last_serial: Mapped[int | None] = mapped_column(Integer, nullable=True)
    latest_version: Mapped[str | None] = mapped_column(String(256), nullable=True)
    owners: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)
    organization: Mapped[str | None] = mapped_column(String(256), nullable=True)
    emails: Mapped[list[str]] = mapped_column(JSON)
    repository: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    release_count: Mapped[int] = mapped_column(Integer)
    first_release_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Every version the registry listed at this observation: the baseline against which the
    # next observation finds new releases (which get a ReleaseObservation row each).
    versions: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)


class ReleaseObservation(Base):
    """A version that appeared after the project was first observed: when we first saw it
    and its state then. (Versions already listed at the first observation are in that
    observation's `versions`; when they appeared is not something we saw.)"""

    __tablename__ = "release_observation"
    __table_args__ = (UniqueConstraint("ecosystem", "name", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ecosystem: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(256))
    version: Mapped[str] = mapped_column(String(256))
    uploaded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    yanked: Mapped[bool]
    first_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ScanRun(Base):
    """One `chaingate scan`: when, of what, and how it came out."""

    __tablename__ = "scan_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    root: Mapped[str] = mapped_column(String(4096))
    index_url: Mapped[str] = mapped_column(String(2048))
    packages: Mapped[int] = mapped_column(Integer)
    findings: Mapped[int] = mapped_column(Integer)
    incomplete: Mapped[int] = mapped_column(Integer)


class DomainObservation(Base):
    """What DNS and RDAP said about a maintainer email domain, and when: recorded only from
    runs where both sources passed their canaries. The newest row per domain serves later
    runs until it is older than the domain TTL."""

    __tablename__ = "domain_observation"
    __table_args__ = (Index("ix_domain_observation_domain", "domain", "checked_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    domain: Mapped[str] = mapped_column(String(256))
    checked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    dns: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    rdap: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    dns_error: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    rdap_error: Mapped[str | None] = mapped_column(String(1024), nullable=True)


class RefObservation(Base):
    """The commit a git tag in use pointed at (GitHub Actions, pre-commit hooks), from when
    it was first seen so until last seen so. A tag that points elsewhere gets a new row:
    the row before it is what `action-ref-moved` compares with."""

    __tablename__ = "ref_observation"
    __table_args__ = (Index("ix_ref_observation_name", "ecosystem", "name", "ref"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ecosystem: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(256))
    ref: Mapped[str] = mapped_column(String(256))
    commit: Mapped[str] = mapped_column(String(64))
    first_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ProxyVerdict(Base):
    """The proxy's verdict on every version of one project at one upstream serial
    (proxy/decisions.py): the latest per project, so a restarted proxy answers a warm page
    without asking the engine again."""

    __tablename__ = "proxy_verdict"
    __table_args__ = (UniqueConstraint("ecosystem", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ecosystem: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(256))
    serial: Mapped[str] = mapped_column(String(256))
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    valid_until: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    verdict: Mapped[dict[str, Any]] = mapped_column(JSON)
