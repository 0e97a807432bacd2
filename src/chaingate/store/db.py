"""The store: observations over time in any SQLAlchemy database (SQLite by default).

The schema is owned by Alembic migrations (`migrations/versions`). Opening a store checks the
`alembic_version` row first and only imports Alembic when an upgrade is due, so a warm scan
does not pay for the migration machinery.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar

from msgspec.structs import asdict, replace
from sqlalchemy import Engine, create_engine, event, insert, inspect, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from chaingate.core.facts import Account, ProjectFacts
from chaingate.facts.intel.interface import DnsAnswer, DomainFacts, RdapRecord
from chaingate.net.atomic import create_private
from chaingate.store import service_tables as _service_tables  # noqa: F401 (on Base)
from chaingate.store.interface import (
    Observation,
    ScanRecord,
    StoreError,
    TagSeen,
    content_hash,
)
from chaingate.store.models import (
    Base,
    DomainObservation,
    ProjectObservation,
    ProxyVerdict,
    RefObservation,
    ReleaseObservation,
    ScanRun,
)

T = TypeVar("T")
A = ParamSpec("A")

HEAD = "0006"  # the newest migration; tests/store checks it matches migrations/versions
MIGRATIONS = Path(__file__).parent / "migrations"
# Alembic's own version table, written by hand only when stamping a brand-new database.
_VERSION_TABLE = "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)"
_STAMP = "INSERT INTO alembic_version (version_num) VALUES (:v)"


def _why(exc: BaseException) -> str:
    """The database's own words, on one line (SQLAlchemy adds the statement, its
    parameters and a link on lines of their own)."""
    orig = getattr(exc, "orig", None)
    return " ".join(str(orig if orig is not None else exc).split())


def _reported(
    verb: str,
) -> Callable[[Callable[Concatenate[Store, A], T]], Callable[Concatenate[Store, A], T]]:
    """A store method whose database failure (read-only, full disk, gone) is a
    `StoreError` naming the database, not a traceback."""

    def wrap(method: Callable[Concatenate[Store, A], T]) -> Callable[Concatenate[Store, A], T]:
        def reported(store: Store, /, *args: A.args, **kwargs: A.kwargs) -> T:
            try:
                return method(store, *args, **kwargs)
            except (SQLAlchemyError, OSError) as exc:
                where = _redact(store.url)
                raise StoreError(f"cannot {verb} database {where}: {_why(exc)}") from None

        functools.update_wrapper(reported, method)
        return reported

    return wrap


def _aware(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt


class Store:
    def __init__(self, url: str) -> None:
        """Open (and, for a local SQLite file, create: 0600 in a 0700 directory) the database
        at `url`. A SQLite URL with `mode=ro` or `immutable=1` opens it read-only: it is
        read and never written."""
        self.url = url
        self._held: dict[str, str] = {}
        self.read_only = _read_only(url)
        try:
            path = sqlite_file(url)
            if path is not None and not self.read_only:
                create_private(path)
            self.engine: Engine = create_engine(url)
            if self.engine.dialect.name == "sqlite" and not self.read_only:
                event.listen(self.engine, "connect", _sqlite_pragmas)
            self.migrate()
        except (SQLAlchemyError, OSError) as exc:
            raise StoreError(f"cannot open database {_redact(url)}: {_why(exc)}") from None
        except ImportError as exc:  # postgresql:// without its driver installed
            raise StoreError(
                f"cannot open database {_redact(url)}: its driver is not installed ({exc})"
            ) from None

    def holds(self, hashes: Mapping[str, str]) -> bool:
        """Whether this store's latest observations are these, as far as this process
        recorded them (a long-lived engine asks the database only about what changed)."""
        return bool(hashes) and all(self._held.get(k) == h for k, h in hashes.items())

    def held(self, hashes: Mapping[str, str]) -> None:
        self._held.update(hashes)

    def close(self) -> None:
        """Close every pooled connection (for SQLite in WAL mode, the last close checkpoints
        the log into the database file and removes it)."""
        self.engine.dispose()

    def migrate(self) -> None:
        """Bring the schema to HEAD. A brand-new database is created from the models and
        stamped (Alembic's recommended path for new databases, and no Alembic import); an
        existing one is upgraded by the migrations. tests/store checks both give one schema."""
        with self.engine.connect() as conn:
            current = _current_revision(conn)
            if current == HEAD:
                return
            if self.read_only:
                raise StoreError(
                    f"database {_redact(self.url)} is opened read-only and its schema is not "
                    f"chaingate's current one ({current or 'none'}, not {HEAD}); open it "
                    "writable once to create or upgrade it"
                )
            if current is None:
                _drop_unstamped(conn)
            if current is None and not set(inspect(conn).get_table_names()) & _OURS:
                _create(conn)
                return
            upgrade(conn)

    @_reported("read from")
    def latest(self, ecosystem: str, names: Iterable[str]) -> dict[str, Observation]:
        """The newest observation of each name, if any."""
        latest = {name: obs[-1] for name, obs in self._last_two(ecosystem, names, None).items()}
        tags = self._tags(ecosystem, latest)
        return {n: replace(o, tags=tags[n]) if n in tags else o for n, o in latest.items()}

    def _tags(self, ecosystem: str, names: Iterable[str]) -> dict[str, dict[str, TagSeen]]:
        """Each name's tags: the commit each last pointed at, since when, and the commit
        before it if the tag was seen to move."""
        out: dict[str, dict[str, TagSeen]] = {}
        with Session(self.engine) as s:
            for chunk in _chunks(sorted(set(names)), 500):
                query = (
                    select(RefObservation)
                    .where(RefObservation.ecosystem == ecosystem)
                    .where(RefObservation.name.in_(chunk))
                    .order_by(RefObservation.first_seen_at, RefObservation.id)
                )
                for row in s.scalars(query):  # ascending: the last win
                    since = _aware(row.first_seen_at).isoformat()
                    tags = out.setdefault(row.name, {})
                    before = tags.get(row.ref)
                    tags[row.ref] = TagSeen(
                        row.commit, since,
                        before.commit if before else None, before.since if before else None,
                    )  # fmt: skip
        return out

    @_reported("read from")
    def observed(
        self, ecosystem: str, names: Iterable[str], until: datetime
    ) -> dict[str, tuple[Observation, Observation | None]]:
        """For `--as-of`: the last observation of each name made at or before `until`, and
        the one before it (None when it is the first)."""
        return {
            name: (obs[-1], obs[0] if len(obs) > 1 else None)
            for name, obs in self._last_two(ecosystem, names, until).items()
        }

    def _last_two(
        self, ecosystem: str, names: Iterable[str], until: datetime | None
    ) -> dict[str, list[Observation]]:
        """Each name's last two observations (made at or before `until`), oldest first."""
        out: dict[str, list[Observation]] = {}
        with Session(self.engine) as s:
            for chunk in _chunks(sorted(set(names)), 500):
                query = (
                    select(ProjectObservation)
                    .where(ProjectObservation.ecosystem == ecosystem)
                    .where(ProjectObservation.name.in_(chunk))
                )
                if until is not None:
                    query = query.where(ProjectObservation.observed_at <= until)
                order = (ProjectObservation.observed_at, ProjectObservation.id)
                for row in s.scalars(query.order_by(*order)):  # ascending: the last win
                    kept = out.setdefault(row.name, [])
                    kept[:] = [*kept[-1:], _observation(row)]
        return out

    @_reported("write to")
    def record(self, facts: Sequence[ProjectFacts], now: datetime) -> None:
        """Store what was seen at `now`: new rows for changed projects and new releases,
        each ecosystem's compared with its own (a scan holds PyPI packages and actions)."""
        if not facts or self.read_only:
            return
        by_ecosystem: dict[str, list[ProjectFacts]] = {}
        for f in facts:
            by_ecosystem.setdefault(f.ecosystem, []).append(f)
        for group in by_ecosystem.values():
            self._record_one(group, now)

    def _record_one(self, facts: Sequence[ProjectFacts], now: datetime) -> None:
        ecosystem = facts[0].ecosystem
        hashes = {f.name: content_hash(f) for f in facts}
        with Session(self.engine) as s, s.begin():
            current: dict[str, tuple[int, str, list[str] | None]] = {}
            for chunk in _chunks(sorted(hashes), 500):
                for row_id, name, h, versions in s.execute(
                    select(
                        ProjectObservation.id,
                        ProjectObservation.name,
                        ProjectObservation.content_hash,
                        ProjectObservation.versions,
                    )
                    .where(ProjectObservation.ecosystem == ecosystem)
                    .where(ProjectObservation.name.in_(chunk))
                    .order_by(ProjectObservation.observed_at, ProjectObservation.id)
                ):
                    current[name] = (row_id, h, versions)
            unchanged = [
                current[n][0] for n in hashes if n in current and current[n][1] == hashes[n]
            ]
            for ids in _chunks(unchanged, 500):
                s.execute(
                    update(ProjectObservation)
                    .where(ProjectObservation.id.in_(ids))
                    .values(last_seen_at=now)
                )
            changed = [
                f for f in facts if f.name not in current or current[f.name][1] != hashes[f.name]
            ]
            for f in changed:
                s.add(
                    ProjectObservation(
                        ecosystem=f.ecosystem,
                        name=f.name,
                        observed_at=now,
                        last_seen_at=now,
                        content_hash=hashes[f.name],
                        source_url=f.source_url,
                        last_serial=f.last_serial,
                        latest_version=f.latest_version,
                        owners=[{"user": a.user, "role": a.role} for a in f.owners]
                        if f.has_ownership
                        else None,
                        organization=f.organization,
                        emails=sorted(p.email for p in f.people),
                        repository=f.repository,
                        release_count=len(f.releases),
                        first_release_at=next(
                            (r.uploaded_at for r in f.releases if r.uploaded_at), None
                        ),
                        versions=[r.version for r in f.releases],
                    )
                )
            previously = {n: c[2] for n, c in current.items()}
            self._record_releases(s, changed, previously, now)
            self._record_tags(s, facts, now)

    def _record_tags(self, s: Session, facts: Sequence[ProjectFacts], now: datetime) -> None:
        """A row per tag whose commit differs from its last row; else its last_seen_at."""
        seen = {(f.ecosystem, f.name, r.ref): r.commit for f in facts for r in f.refs
                if r.kind == "tag"}  # fmt: skip
        if not seen:
            return
        last: dict[tuple[str, str, str], RefObservation] = {}
        for eco, name in sorted({(k[0], k[1]) for k in seen}):
            query = (
                select(RefObservation)
                .where(RefObservation.ecosystem == eco, RefObservation.name == name)
                .order_by(RefObservation.first_seen_at, RefObservation.id)
            )
            for row in s.scalars(query):
                last[(eco, name, row.ref)] = row
        for key, commit in sorted(seen.items()):
            before = last.get(key)
            if before is not None and before.commit == commit:
                before.last_seen_at = now
            else:
                s.add(RefObservation(ecosystem=key[0], name=key[1], ref=key[2], commit=commit,
                                     first_seen_at=now, last_seen_at=now))  # fmt: skip

    def _record_releases(
        self,
        s: Session,
        changed: Sequence[ProjectFacts],
        previously: dict[str, list[str] | None],
        now: datetime,
    ) -> None:
        """A row for each version that appeared since the project's previous observation,
        in one executemany through Core. A first observation writes none: its version list
        is the baseline, and when those versions appeared is not something we saw."""
        table = ReleaseObservation.__table__
        rows: list[dict[str, object]] = []
        for f in changed:
            if f.name not in previously:
                continue
            known = previously[f.name]
            if known is None:  # an observation stored before revision 0002 kept no list
                known = list(
                    s.scalars(
                        select(ReleaseObservation.version)
                        .where(ReleaseObservation.ecosystem == f.ecosystem)
                        .where(ReleaseObservation.name == f.name)
                    )
                )
            seen = set(known)
            rows.extend(
                {
                    "ecosystem": f.ecosystem,
                    "name": f.name,
                    "version": r.version,
                    "uploaded_at": r.uploaded_at,
                    "yanked": r.yanked,
                    "first_seen_at": now,
                }
                for r in f.releases
                if r.version not in seen
            )
        if rows:
            s.connection().execute(insert(table), rows)  # type: ignore[arg-type]

    @_reported("read from")
    def email_first_seen(
        self, ecosystem: str, names: Iterable[str], until: datetime | None = None
    ) -> dict[str, datetime]:
        """For every address in the stored observations of these projects (made at or
        before `until`, `--as-of`), the first time we saw it on any of them: an address
        older than its domain's registration is a lapsed domain someone else now owns."""
        first: dict[str, datetime] = {}
        with Session(self.engine) as s:
            for chunk in _chunks(sorted(set(names)), 500):
                for observed_at, emails in s.execute(
                    select(ProjectObservation.observed_at, ProjectObservation.emails)
                    .where(ProjectObservation.ecosystem == ecosystem)
                    .where(ProjectObservation.name.in_(chunk))
                ):
                    when = _aware(observed_at)
                    if until is not None and when > until:
                        continue
                    for address in emails or ():
                        if address not in first or when < first[address]:
                            first[address] = when
        return first

    @_reported("read from")
    def domains(self, domains: Iterable[str], fresh_after: datetime) -> dict[str, DomainFacts]:
        """The newest stored answer for each domain, if checked after `fresh_after`."""
        out: dict[str, DomainFacts] = {}
        with Session(self.engine) as s:
            for chunk in _chunks(sorted(set(domains)), 500):
                rows = s.scalars(
                    select(DomainObservation)
                    .where(DomainObservation.domain.in_(chunk))
                    .where(DomainObservation.checked_at > fresh_after)
                    .order_by(DomainObservation.checked_at, DomainObservation.id)
                )
                for row in rows:
                    out[row.domain] = _domain_facts(row)
        return out

    @_reported("write to")
    def record_domains(self, facts: Iterable[DomainFacts]) -> None:
        rows = [
            {
                "domain": f.domain,
                "checked_at": f.checked_at,
                "dns": None if f.dns is None else asdict(f.dns),
                "rdap": None if f.rdap is None else _rdap_json(f.rdap),
                "dns_error": f.dns_error,
                "rdap_error": f.rdap_error,
            }
            for f in facts
        ]
        if rows and not self.read_only:
            with Session(self.engine) as s, s.begin():
                s.connection().execute(insert(DomainObservation.__table__), rows)  # type: ignore[arg-type]

    @_reported("write to")
    def keep_verdict(
        self,
        ecosystem: str,
        name: str,
        serial: str,
        decided_at: datetime,
        valid_until: datetime,
        verdict: dict[str, object],
    ) -> None:
        """The proxy's verdict on a project (proxy/decisions.py), replacing the last one."""
        if self.read_only:
            return
        with Session(self.engine) as s, s.begin():
            row = s.scalars(
                select(ProxyVerdict).where(
                    ProxyVerdict.ecosystem == ecosystem, ProxyVerdict.name == name
                )
            ).first()
            if row is None:
                row = ProxyVerdict(ecosystem=ecosystem, name=name)
                s.add(row)
            row.serial, row.decided_at, row.valid_until = serial, decided_at, valid_until
            row.verdict = verdict

    @_reported("read from")
    def kept_verdict(
        self, ecosystem: str, name: str
    ) -> tuple[str, datetime, dict[str, object]] | None:
        """The proxy's last verdict on a project: its serial, until when it stands, itself."""
        with Session(self.engine) as s:
            row = s.scalars(
                select(ProxyVerdict).where(
                    ProxyVerdict.ecosystem == ecosystem, ProxyVerdict.name == name
                )
            ).first()
            if row is None:
                return None
            return row.serial, _aware(row.valid_until), dict(row.verdict)

    @_reported("write to")
    def record_scan(self, run: ScanRecord) -> None:
        if self.read_only:
            return
        with Session(self.engine) as s, s.begin():
            s.add(ScanRun(**asdict(run)))


def _rdap_json(r: RdapRecord) -> dict[str, object]:
    def iso(dt: datetime | None) -> str | None:
        return None if dt is None else dt.isoformat()

    return {
        "registered": r.registered,
        "registration": iso(r.registration),
        "expiration": iso(r.expiration),
        "last_changed": iso(r.last_changed),
        "statuses": list(r.statuses),
        "url": r.url,
    }


def _domain_facts(row: DomainObservation) -> DomainFacts:
    def when(value: object) -> datetime | None:
        return datetime.fromisoformat(value) if isinstance(value, str) else None

    dns = None if row.dns is None else DnsAnswer(**row.dns)
    rdap = None
    if row.rdap is not None:
        rdap = RdapRecord(
            registered=bool(row.rdap["registered"]),
            registration=when(row.rdap.get("registration")),
            expiration=when(row.rdap.get("expiration")),
            last_changed=when(row.rdap.get("last_changed")),
            statuses=tuple(row.rdap.get("statuses") or ()),
            url=row.rdap.get("url"),
        )
    return DomainFacts(
        domain=row.domain,
        checked_at=_aware(row.checked_at),
        dns=dns,
        rdap=rdap,
        dns_error=row.dns_error,
        rdap_error=row.rdap_error,
    )


def upgrade(conn: Connection, revision: str = "head") -> None:
    """Run the Alembic migrations on `conn` up to `revision`."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, revision)
    conn.commit()


_OURS = frozenset(Base.metadata.tables) | {"alembic_version"}


def _create(conn: Connection) -> None:
    """A brand-new schema, stamped, in one transaction: a creation cut short (a full disk, a
    killed process) leaves no table behind. pysqlite runs DDL outside any transaction unless
    one is begun explicitly."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN")
    try:
        Base.metadata.create_all(conn)
        conn.execute(text(_VERSION_TABLE))
        conn.execute(text(_STAMP), {"v": HEAD})
        conn.commit()
    except BaseException:
        conn.rollback()
        raise


def _drop_unstamped(conn: Connection) -> None:
    """Drop what a creation cut short by an older chaingate left: some of chaingate's tables,
    all empty, and no `alembic_version` row to say what they are. Anything holding a row, or
    any other table, is left alone (and the migrations then say what is wrong)."""
    present = set(inspect(conn).get_table_names()) & set(Base.metadata.tables)
    for name in present:
        if conn.execute(text(f'SELECT 1 FROM "{name}" LIMIT 1')).first() is not None:
            return
    for table in reversed(Base.metadata.sorted_tables):
        if table.name in present:
            table.drop(conn)
    conn.commit()


def sqlite_file(url: str) -> Path | None:
    """The local file of a SQLite URL, or None: not SQLite, in memory, or a URI-form URL
    (`sqlite:///file:...?uri=true`), whose `file:` name is SQLite's to interpret (no
    directory is made for it)."""
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception:  # SQLAlchemy reports an unparsable URL when the engine is made
        return None
    database = parsed.database
    if not parsed.drivername.startswith("sqlite") or not database or database == ":memory:":
        return None
    if database.startswith("file:") or _truthy(parsed.query.get("uri")):
        return None
    return Path(database).expanduser()


def _read_only(url: str) -> bool:
    """Whether a SQLite URL opens its database read-only (`mode=ro`, `immutable=1`)."""
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception:
        return False
    query = parsed.query
    return parsed.drivername.startswith("sqlite") and (
        query.get("mode") == "ro" or _truthy(query.get("immutable"))
    )


def _truthy(value: str | tuple[str, ...] | None) -> bool:
    return isinstance(value, str) and value.lower() in ("1", "true", "yes", "on")


def _current_revision(conn: Connection) -> str | None:
    try:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError:
        conn.rollback()
        return None


def _sqlite_pragmas(dbapi_conn: object, _record: object) -> None:
    cur = dbapi_conn.cursor()  # type: ignore[attr-defined]
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.close()


def _chunks(items: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _redact(url: str) -> str:
    """Hide a password in a database URL before showing it (a URL without one is shown as
    given: rendering would escape a SQLite URI's `file:` as `file%3A`)."""
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception:  # an unparsable URL is shown as given
        return url
    return url if parsed.password is None else parsed.render_as_string(hide_password=True)


def _observation(row: ProjectObservation) -> Observation:
    return Observation(
        name=row.name,
        observed_at=_aware(row.observed_at),
        last_seen_at=_aware(row.last_seen_at),
        owners=None
        if row.owners is None
        else tuple(Account(o["user"], o["role"]) for o in row.owners),
        organization=row.organization,
        emails=tuple(row.emails),
        latest_version=row.latest_version,
    )
