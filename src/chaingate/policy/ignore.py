"""Exceptions: findings a team has looked at and decided to accept, each with a reason.

Read from `[[tool.chaingate.ignore]]` in the project's pyproject.toml or `[[ignore]]` in a
chaingate.toml beside it. An exception without a reason is an error; an expired one stops
applying and the report says so.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import msgspec
import tomli as tomllib  # the mypyc-compiled parser: 2.6x faster than the stdlib on big locks

from chaingate.core.findings import Finding
from chaingate.core.parsing import beyond_limits
from chaingate.policy.interface import PolicyError
from chaingate.policy.keys import PackageKey, split

__all__ = ["Applied", "Ignore", "Ignored", "PolicyError", "apply", "entries", "load"]


class Ignore(msgspec.Struct, frozen=True):
    id: str
    reason: str
    package: str | None = None  # as written ("pypi:requests" or "requests"); None: every package
    version: str | None = None
    expires: date | None = None
    file: str = ""
    line: int | None = None

    def matches(self, f: Finding) -> bool:
        if self.id not in (f.id, "*"):
            return False
        if self.package is not None and not _key(self.package).matches(f.ecosystem, f.package):
            return False
        return self.version is None or self.version == f.version

    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


def _key(package: str) -> PackageKey:
    return PackageKey(*split(package))


class Ignored(msgspec.Struct, frozen=True):
    finding: Finding
    by: Ignore


class Applied(msgspec.Struct, frozen=True):
    kept: tuple[Finding, ...]
    ignored: tuple[Ignored, ...]
    expired: tuple[Ignore, ...]


_KEYS = {"id", "package", "version", "reason", "expires"}


def load(root: Path) -> list[Ignore]:
    """Exceptions from the project at `root` (a directory, or the directory of a file)."""
    base = root if root.is_dir() else root.parent
    out: list[Ignore] = []
    pyproject = base / "pyproject.toml"
    if pyproject.is_file():
        doc = _read(pyproject)
        table = doc.get("tool", {}).get("chaingate", {})
        out += entries(pyproject, table.get("ignore", []), "tool.chaingate.ignore")
    standalone = base / "chaingate.toml"
    if standalone.is_file():
        out += entries(standalone, _read(standalone).get("ignore", []), "ignore")
    return out


def _read(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(str(path), None, f"cannot read: {exc}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise PolicyError(str(path), int(m.group(1)) if m else None, str(exc)) from None
    except (RecursionError, ValueError) as exc:  # nesting, or digits, beyond the limits
        raise PolicyError(str(path), *beyond_limits(text, exc)) from None


def entries(path: Path, items: object, key: str, *, text: str | None = None) -> list[Ignore]:
    """The exceptions in `items` (the parsed `key` array of tables of the file at `path`,
    whose `text` is read from it unless given: a policy read out of git has no file)."""
    if text is None:
        text = path.read_text(encoding="utf-8")
    if not isinstance(items, list):
        raise PolicyError(str(path), _line_of(text, key), f"{key} must be an array of tables")
    lines = _table_lines(text, key)
    out = []
    for i, item in enumerate(items):
        line = lines[i] if i < len(lines) else None
        if not isinstance(item, dict):
            raise PolicyError(str(path), line, f"{key}[{i}] must be a table")
        unknown = sorted(set(item) - _KEYS)
        if unknown:
            raise PolicyError(str(path), line, f"{key}[{i}]: unknown key(s) {', '.join(unknown)}")
        sid, reason = item.get("id"), item.get("reason")
        if not isinstance(sid, str) or not sid:
            raise PolicyError(str(path), line, f"{key}[{i}]: 'id' (a signal id) is required")
        if not isinstance(reason, str) or not reason.strip():
            raise PolicyError(
                str(path), line, f"{key}[{i}] ({sid}): 'reason' is required: say why it is safe"
            )
        expires = item.get("expires")
        if isinstance(expires, str):
            try:
                expires = date.fromisoformat(expires)
            except ValueError:
                raise PolicyError(
                    str(path), line, f"{key}[{i}]: expires {expires!r} is not a YYYY-MM-DD date"
                ) from None
        if expires is not None and (not isinstance(expires, date) or isinstance(expires, datetime)):
            raise PolicyError(str(path), line, f"{key}[{i}]: expires must be a date")
        package = item.get("package")
        if package is not None and not isinstance(package, str):
            raise PolicyError(str(path), line, f"{key}[{i}]: package must be a string")
        version = item.get("version")
        if version is not None and not isinstance(version, str):
            raise PolicyError(str(path), line, f"{key}[{i}]: version must be a string")
        out.append(
            Ignore(
                id=sid,
                reason=reason.strip(),
                package=package.strip() if package and package.strip() else None,
                version=version,
                expires=expires,
                file=str(path),
                line=line,
            )
        )
    return out


def _table_lines(text: str, key: str) -> list[int]:
    header = re.compile(r"^\s*\[\[\s*" + re.escape(key).replace(r"\.", r"\s*\.\s*") + r"\s*\]\]")
    return [n for n, line in enumerate(text.splitlines(), 1) if header.match(line)]


def _line_of(text: str, key: str) -> int | None:
    last = key.rsplit(".", 1)[-1]
    for n, line in enumerate(text.splitlines(), 1):
        if re.match(rf"^\s*{re.escape(last)}\s*=", line):
            return n
    return None


def apply(findings: Iterable[Finding], ignores: list[Ignore], today: date) -> Applied:
    active = [i for i in ignores if i.expires is None or i.expires >= today]
    expired = tuple(i for i in ignores if i.expires is not None and i.expires < today)
    kept: list[Finding] = []
    ignored: list[Ignored] = []
    for f in findings:
        by = next((i for i in active if i.matches(f)), None)
        if by is None:
            kept.append(f)
        else:
            ignored.append(Ignored(f, by))
    return Applied(tuple(kept), tuple(ignored), expired)
