"""OSV offline: an ecosystem's dump (`<ecosystem>/all.zip`, one `<id>.json` record per
member) downloaded by `chaingate advisories update`, indexed once by package name into a
small SQLite file (`<dir>/<ecosystem>.sqlite`), so that a scan reads only the records of
the packages it has, never the whole dump.

The zip is read member by member (the real PyPI dump is hundreds of MB): each member is
capped in size (a member inflating past `MAX_RECORD_BYTES` is refused, not read on), and
nothing is extracted to disk.
"""

from __future__ import annotations

import json
import os
import sqlite3
import zipfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.utils import canonicalize_name

from chaingate.core.facts import Vulnerability
from chaingate.core.refs import PackageRef
from chaingate.facts.advisories.online import AdvisoryError
from chaingate.facts.advisories.osv import OSV_ECOSYSTEMS, affects, parse_record, parse_time

if TYPE_CHECKING:
    from chaingate.net.http import HttpClient

MAX_RECORD_BYTES = 8 * 1024 * 1024  # one advisory, decompressed
MAX_DUMP_BYTES = 4 * 1024 * 1024 * 1024  # the zip itself


def index_path(directory: Path, ecosystem: str) -> Path:
    """The index of `ecosystem`'s dump (chaingate's ecosystem name: `pypi`)."""
    return directory / f"{ecosystem}.sqlite"


def build_index(dump: Path, directory: Path, ecosystem: str, source: str) -> tuple[int, datetime]:
    """Index the zip `dump` for `ecosystem` into `directory` (replacing the previous index
    atomically). Returns the number of records and the dump's date: its newest record's
    `modified` time (what the dump knows is at most that recent)."""
    osv_eco = OSV_ECOSYSTEMS.get(ecosystem, ecosystem)
    directory.mkdir(parents=True, exist_ok=True)
    final = index_path(directory, ecosystem)
    partial = final.with_name(f".{final.name}.{os.getpid()}.part")
    partial.unlink(missing_ok=True)
    newest: datetime | None = None
    count = 0
    try:
        db = sqlite3.connect(partial)
        try:
            db.execute("CREATE TABLE records (name TEXT NOT NULL, id TEXT NOT NULL, record TEXT)")
            db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
            try:
                archive = zipfile.ZipFile(dump)
            except (zipfile.BadZipFile, OSError) as exc:
                raise AdvisoryError(f"{source}: not a zip file ({exc})") from None
            with archive:
                for info in archive.infolist():
                    if info.is_dir() or not info.filename.endswith(".json"):
                        continue
                    if info.file_size > MAX_RECORD_BYTES:
                        raise AdvisoryError(f"{source}: {info.filename} is too large")
                    with archive.open(info) as member:
                        raw = member.read(MAX_RECORD_BYTES + 1)
                    if len(raw) > MAX_RECORD_BYTES:
                        raise AdvisoryError(f"{source}: {info.filename} is too large")
                    try:
                        record = json.loads(raw)
                    except ValueError:
                        raise AdvisoryError(f"{source}: {info.filename} is not JSON") from None
                    if not isinstance(record, dict) or not isinstance(record.get("id"), str):
                        raise AdvisoryError(f"{source}: {info.filename} is not an OSV record")
                    names = {
                        canonicalize_name(str(a["package"].get("name", "")))
                        for a in record.get("affected") or ()
                        if isinstance(a, dict)
                        and isinstance(a.get("package"), dict)
                        and a["package"].get("ecosystem") == osv_eco
                    }
                    text = json.dumps(record, separators=(",", ":"))
                    db.executemany(
                        "INSERT INTO records VALUES (?, ?, ?)",
                        [(n, record["id"], text) for n in sorted(names)],
                    )
                    count += 1
                    modified = parse_time(record.get("modified"))
                    if modified is not None and (newest is None or modified > newest):
                        newest = modified
            made = newest or datetime.now(UTC)
            db.execute("CREATE INDEX records_name ON records (name)")
            db.executemany(
                "INSERT INTO meta VALUES (?, ?)",
                [("made", made.isoformat()), ("source", source), ("records", str(count))],
            )
            db.commit()
        finally:
            db.close()
        os.replace(partial, final)
    except BaseException:
        partial.unlink(missing_ok=True)  # a failed update leaves the previous index alone
        raise
    return count, made


def lookup(
    directory: Path, refs: Sequence[PackageRef]
) -> tuple[dict[PackageRef, tuple[Vulnerability, ...]], datetime]:
    """The records covering each pinned ref (of an ecosystem with a dump), and the dump's
    date. Raises `AdvisoryError` when an ecosystem asked about has no dump."""
    out: dict[PackageRef, tuple[Vulnerability, ...]] = {}
    made: datetime | None = None
    by_eco: dict[str, list[PackageRef]] = {}
    for r in refs:
        if r.version and r.ecosystem in OSV_ECOSYSTEMS:
            by_eco.setdefault(r.ecosystem, []).append(r)
    for eco, wanted in sorted(by_eco.items()):
        path = index_path(directory, eco)
        if not path.is_file():
            raise AdvisoryError(
                f"no dump for {OSV_ECOSYSTEMS[eco]} in {directory}: run "
                "`chaingate advisories update` first"
            )
        try:
            db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            try:
                row = db.execute("SELECT value FROM meta WHERE key = 'made'").fetchone()
                when = datetime.fromisoformat(row[0])
                made = when if made is None else min(made, when)
                names = sorted({r.name for r in wanted})
                records: dict[str, list[str]] = {}
                for i in range(0, len(names), 500):
                    part = names[i : i + 500]
                    marks = ",".join("?" * len(part))
                    for name, text in db.execute(
                        f"SELECT name, record FROM records WHERE name IN ({marks})", part
                    ):
                        records.setdefault(name, []).append(text)
            finally:
                db.close()
        except (sqlite3.Error, TypeError, ValueError) as exc:
            raise AdvisoryError(
                f"{path}: unreadable ({exc}); run `chaingate advisories update`"
            ) from None
        for ref in wanted:
            parsed = [parse_record(json.loads(t), eco, ref.name) for t in records.get(ref.name, ())]
            version = ref.version or ""
            out[ref] = tuple(v for v in parsed if v is not None and affects(v, version))
    return out, made or datetime.now(UTC)


async def update(
    client: HttpClient, url: str, directory: Path, ecosystem: str
) -> tuple[int, datetime]:
    """Download the dump at `url` (streamed to disk) and index it for `ecosystem`; the zip
    is removed once indexed (the index holds every record). `AdvisoryError` on failure,
    leaving the previous index in place."""
    from chaingate.net.atomic import private_dirs
    from chaingate.net.http import FetchError

    private_dirs(directory)
    zipped = directory / f".{ecosystem}-all.zip"
    try:
        await client.download(url, zipped, sha256=None, max_bytes=MAX_DUMP_BYTES)
        return build_index(zipped, directory, ecosystem, url)
    except FetchError as exc:
        raise AdvisoryError(str(exc)) from None
    finally:
        zipped.unlink(missing_ok=True)
