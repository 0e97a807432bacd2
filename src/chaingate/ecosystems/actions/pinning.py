"""`chaingate pin`'s work below the CLI: the CI/CD files of a project, their refs by tag or
branch, the commits those point at now (GitHub REST API), and the files rewritten in place
(`pin.rewrite`)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import msgspec

from chaingate.ecosystems.actions import ACTIONS
from chaingate.ecosystems.actions import pin as edit
from chaingate.ecosystems.actions.workflows import Use
from chaingate.ecosystems.interface import Ecosystem
from chaingate.ecosystems.precommit import PRECOMMIT
from chaingate.ecosystems.precommit.manifests import CONFIG
from chaingate.net.http import FetchError, HttpClient, HttpSettings

PIN_ECOSYSTEMS: tuple[Ecosystem, ...] = (ACTIONS, PRECOMMIT)


class CiFile(msgspec.Struct, frozen=True):
    path: Path
    display: str
    kind: str
    uses: tuple[Use, ...]

    @property
    def frozen(self) -> bool:  # pre-commit's way of writing the ref it froze
        return self.kind == CONFIG


def ci_files(found: Sequence[tuple[Path, str, str]]) -> list[CiFile]:
    """The files `found` (path, kind, display: as `inventory.discover` lists those of
    `PIN_ECOSYSTEMS`), each with the uses written in it."""
    out = []
    for path, kind, display in found:
        parser = ACTIONS.manifests if kind in ACTIONS.manifests.kinds else PRECOMMIT.manifests
        uses = parser.uses(path, kind, display)  # type: ignore[attr-defined]
        out.append(CiFile(path, display, kind, tuple(u for u in uses if u.file == display)))
    return out


def slug(use: Use, kind: str) -> str | None:
    """The GitHub repository of a use, or None when it is not on GitHub."""
    if kind != CONFIG:
        return use.name
    host, _, rest = use.name.partition("/")
    return rest if host == "github.com" and rest.count("/") == 1 else None


async def resolve(
    files: Sequence[CiFile], base: str, http: HttpSettings
) -> tuple[dict[tuple[str, str], str], list[str]]:
    """(name, ref) -> commit for every unpinned use, and why each one that could not be
    resolved was not."""
    from chaingate.ecosystems.github.repository import Unavailable, decode, resolve_ref
    from chaingate.ecosystems.github.session import ACCEPT

    token = os.environ.get("GITHUB_TOKEN", "").strip()
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    commits: dict[tuple[str, str], str] = {}
    problems: list[str] = []
    async with HttpClient(http) as client:

        async def get(url: str) -> tuple[int, object]:
            resp = await client.fetch(url, accept=ACCEPT, headers=headers)
            return resp.status, decode(resp.body, url) if resp.status == 200 else None

        for f in files:
            for use in edit.unpinned(f.uses):
                key = (use.name, str(use.ref))
                repo = slug(use, f.kind)
                if key in commits:
                    continue
                where = f"{f.display}:{use.line}: {use.name}@{use.ref}"
                if repo is None:
                    problems.append(f"{where}: not on GitHub, not pinned")
                    continue
                try:
                    found = await resolve_ref(get, base, repo, str(use.ref))
                except (FetchError, Unavailable) as exc:
                    problems.append(f"{where}: {exc}")
                    continue
                if found is None:
                    problems.append(f"{where}: no such tag or branch")
                else:
                    commits[key] = found.commit
    return commits, problems


def write_pinned(f: CiFile, commits: dict[tuple[str, str], str]) -> int:
    """Rewrite `f` with the commits; the number of refs pinned. The file is replaced
    atomically, its mode kept."""
    pins = edit.pins_for(f.uses, commits)
    if not pins:
        return 0
    raw = f.path.read_bytes()
    text = raw.decode("utf-8")
    new = edit.rewrite(text, pins, frozen=f.frozen)
    if new == text:
        return 0
    tmp = f.path.with_name(f".{f.path.name}.{os.getpid()}.pin")
    tmp.write_bytes(new.encode("utf-8"))
    os.chmod(tmp, f.path.stat().st_mode & 0o7777)
    os.replace(tmp, f.path)
    return len(pins)
