"""What a release changed: `chaingate inspect TARGET --against OLD`.

Code that has shipped for years is not what compromises a project overnight; a new install
hook, a new `.pth` line, new network code or a new binary in a patch release is. Comparing two
inspections therefore does three things:

- a finding already present in the old release (same id, same file, same excerpt) weighs one
  level less and says so;
- a finding new in this release weighs one level more;
- changes that are no finding on their own become `new-*` findings: an install hook, an
  executable `.pth` line, a native binary in a package that had none, the first network code
  and the first process execution in a package that had none (`tests/`, `docs/` and
  `examples/` not counted). In a patch release (same major.minor) they weigh one level more:
  a bug-fix release has no business growing any of them.

Files are matched by their path inside the package: an sdist's top directory
(`name-1.0/`) and a leading `src/` are dropped, so an sdist compares with the next sdist and
with a wheel.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import msgspec
from msgspec.structs import replace
from packaging.version import InvalidVersion, Version

from chaingate.analysis.interface import CodeFinding, HostileArchive, Limits
from chaingate.core.findings import Severity


class Profile(msgspec.Struct):
    """What a release's files can do, by path inside the package."""

    files: set[str] = msgspec.field(default_factory=set)
    binaries: set[str] = msgspec.field(default_factory=set)
    network: dict[str, tuple[int, str]] = msgspec.field(
        default_factory=dict
    )  # path -> line, module
    process: dict[str, tuple[int, str]] = msgspec.field(default_factory=dict)


def inner_path(path: str, *, sdist: bool) -> str:
    """A file's path inside the package, comparable across releases and archive kinds."""
    if sdist and "/" in path:
        path = path.split("/", 1)[1]
    return path.removeprefix("src/")


def is_sdist(target: Path) -> bool:
    return not target.is_dir() and not target.name.endswith((".whl", ".egg"))


def profile(
    target: Path, files: Iterable[tuple[str, bytes]], into: Profile | None = None
) -> Profile:
    """The profile of one release from its (path, bytes) pairs (added to `into`): what its
    source files can do, as the analyser of their language reads them."""
    from chaingate.analysis.analysers import claiming
    from chaingate.analysis.archive.files import is_native
    from chaingate.analysis.inspect import less_weight

    sdist = is_sdist(target)
    out = into if into is not None else Profile()
    for raw, data in files:
        path = inner_path(raw, sdist=sdist)
        out.files.add(path)
        if is_native(data):
            out.binaries.add(path)
            continue
        analyser = claiming(path)
        if analyser is None or less_weight(path):
            continue
        network, process = analyser.capabilities(path, data)
        if path not in out.network and network:
            out.network[path] = (network.line, network.name)
        if path not in out.process and process:
            out.process[path] = (process.line, process.name)
    return out


def profile_path(target: Path, limits: Limits | None = None) -> Profile:
    """The profile of an archive or directory; a refused archive profiles as far as it was
    read (its `hostile-archive` finding comes from the inspection)."""
    from chaingate.analysis.archive.files import files_of

    out = Profile()
    try:
        for f in files_of(target, limits or Limits()):
            profile(target, [(f.path, f.data)], out)
    except HostileArchive:
        pass
    return out


def is_patch_release(old: str, new: str) -> bool:
    """Same major.minor, new is later: a bug-fix release."""
    try:
        a, b = Version(old), Version(new)
    except InvalidVersion:
        return False
    return b > a and a.release[:2] == b.release[:2]


class Comparison(msgspec.Struct, frozen=True):
    findings: tuple[CodeFinding, ...]  # the new release's findings, reweighed, plus new-*
    new: frozenset[int]  # indexes into findings of what this release introduced
    against: str
    patch: bool


def _key(f: CodeFinding, sdist: bool) -> tuple[str, str, str]:
    return f.id, inner_path(f.path, sdist=sdist), " ".join(f.excerpt.split())


_RENAMED = {
    "install-hook": "new-install-hook",
    "pth-exec": "new-pth",
    "bundled-binary": "new-binary",
}


def compare(
    new_findings: Iterable[CodeFinding],
    new_profile: Profile,
    old_findings: Iterable[CodeFinding],
    old_profile: Profile,
    *,
    new_target: Path,
    old_target: Path,
    against: str,
    patch: bool,
) -> Comparison:
    """Reweigh the new release's findings by what the old release already had, and add the
    `new-*` findings for what this release introduced."""
    old_keys = {_key(f, is_sdist(old_target)) for f in old_findings}
    kind = "patch release" if patch else "release"
    out: list[CodeFinding] = []
    new: set[int] = set()
    for f in new_findings:
        if _key(f, is_sdist(new_target)) in old_keys:
            out.append(
                replace(
                    f,
                    severity=max(f.severity.bump(-1), Severity.LOW),
                    message=f"{f.message} (already in {against})",
                )
            )
            continue
        # New in this release: one level more, two in a patch release for what was at
        # least medium on its own (a new low-level oddity is not an alarm).
        steps = 2 if patch and f.severity >= Severity.MEDIUM else 1
        new.add(len(out))
        out.append(
            replace(
                f,
                id=_RENAMED.get(f.id, f.id),
                severity=f.severity.bump(steps),
                message=f"{f.message} (new in this {kind}; not in {against})",
            )
        )
    renamed = {f.id for f in out}
    for change in _changes(new_profile, old_profile, against, patch):
        if change.id not in renamed:
            new.add(len(out))
            out.append(change)
    return Comparison(tuple(out), frozenset(new), against, patch)


def _changes(new: Profile, old: Profile, against: str, patch: bool) -> Iterator[CodeFinding]:
    """Capabilities the old release did not have at all: no finding on their own."""
    kind = "patch release" if patch else "release"
    up = 1 if patch else 0
    if new.binaries and not old.binaries:
        first = sorted(new.binaries)[0]
        yield CodeFinding(
            "new-binary",
            Severity.MEDIUM.bump(up),
            first,
            None,
            f"this {kind} ships native binaries ({len(new.binaries)}, e.g. {first}); "
            f"{against} had none.",
        )
    for what, now, before, base in (
        ("network", new.network, old.network, Severity.MEDIUM),
        ("process", new.process, old.process, Severity.LOW),
    ):
        if now and not before:
            path, (line, module) = sorted(now.items())[0]
            others = len(now) - 1
            yield CodeFinding(
                f"new-{what}-code",
                base.bump(up),
                path,
                line,
                f"this {kind} is the first to use {what} code ({module}"
                + (f", and {others} more file{'s' if others > 1 else ''}" if others else "")
                + f"); {against} had none.",
                module,
            )
