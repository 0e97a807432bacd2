"""API tokens: a random secret shown once, only its SHA-256 kept; `CHAINGATE_ADMIN_TOKEN`
accepted as an admin token. Lookups are by hash, and the found hash is compared again in
constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime

import msgspec
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from chaingate.store.service_tables import SvcToken

PREFIX = "cg_"


class Principal(msgspec.Struct, frozen=True):
    name: str
    read_only: bool


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(engine: Engine, name: str, read_only: bool) -> str:
    """A new token named `name`; the secret is returned once and never stored."""
    token = PREFIX + secrets.token_urlsafe(32)
    with Session(engine) as s, s.begin():
        s.add(
            SvcToken(
                name=name,
                token_hash=token_hash(token),
                read_only=read_only,
                created_at=datetime.now(UTC),
            )
        )
    return token


def authenticate(engine: Engine, token: str, admin_token: str | None) -> Principal | None:
    """Who `token` is, or None."""
    if not token or len(token) > 512:
        return None
    if admin_token and hmac.compare_digest(token.encode(), admin_token.encode()):
        return Principal("admin", read_only=False)
    wanted = token_hash(token)
    with Session(engine) as s:
        row = s.scalars(select(SvcToken).where(SvcToken.token_hash == wanted)).first()
    if row is None or not hmac.compare_digest(row.token_hash, wanted):
        return None
    return Principal(row.name, row.read_only)
