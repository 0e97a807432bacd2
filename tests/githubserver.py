"""A local server speaking the GitHub REST API shapes chaingate reads (api.github.com is not
reachable from the test machines): repositories with their owner and `archived` flag,
releases, git refs (lightweight and annotated tags, branches), commits of the repository
*and of its forks* (GitHub serves a fork's commit under the parent's name, which is what an
impostor commit exploits), branch and tag lists, and `compare/{base}...{head}` computed from
the commit graph.

Real HTTP caching: every 200 carries an `ETag`; `If-None-Match` is answered 304. Tests change
the state under it (`Repo.tags[...] = ...`) to re-point a tag, as an attacker does. Faults
from `ScriptedFaults` (`BadJSON`: half the body), plus `rate_limited()`: 403 with
`x-ratelimit-remaining: 0`.

`tj_actions()`, `reviewdog_action_setup()` and their `repoint_*` build the incident
repositories from public reports -- RECONSTRUCTED, not recorded: the SHA named in the
reports is used as reported (tj-actions/changed-files's malicious commit
0e58ed8671d6b60d0890c21b07f8835ace038e67, March 2025); every other SHA, date and history
is a stand-in made here.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from tests.serverkit import BackgroundHTTPServer, BadJSON, ScriptedFaults, ScriptedHandler


def sha(seed: str) -> str:
    """A stand-in commit SHA, stable for a seed."""
    return hashlib.sha1(seed.encode()).hexdigest()


@dataclass
class Commit:
    date: str
    parents: tuple[str, ...] = ()


@dataclass
class Repo:
    owner: str
    name: str
    owner_type: str = "Organization"
    archived: bool = False
    default_branch: str = "main"
    commits: dict[str, Commit] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)
    # tag -> commit (lightweight) or ("annotated", tag-object sha, commit)
    tags: dict[str, str | tuple[str, str, str]] = field(default_factory=dict)
    releases: list[tuple[str, str]] = field(default_factory=list)  # (tag, published_at)
    # commits pushed to forks: served under this repository's name, on none of its refs
    fork_commits: dict[str, Commit] = field(default_factory=dict)

    @property
    def slug(self) -> str:
        return f"{self.owner}/{self.name}"

    def line(self, branch: str, n: int, start: str = "2024-01-01") -> list[str]:
        """Make `n` commits one after another on `branch`; their SHAs, oldest first."""
        made: list[str] = []
        parent = self.branches.get(branch)
        for i in range(n):
            c = sha(f"{self.slug}:{branch}:{i}:{parent}")
            self.commits[c] = Commit(
                f"{start}T{10 + i % 10:02d}:00:00Z", (parent,) if parent else ()
            )
            parent = c
            made.append(c)
        if parent:
            self.branches[branch] = parent
        return made

    def commit_of(self, tag: str) -> str:
        value = self.tags[tag]
        return value if isinstance(value, str) else value[2]

    def ancestors(self, start: str) -> set[str]:
        every = {**self.commits, **self.fork_commits}
        seen: set[str] = set()
        todo = [start]
        while todo:
            c = todo.pop()
            if c in seen or c not in every:
                continue
            seen.add(c)
            todo.extend(every[c].parents)
        return seen


class _Handler(ScriptedHandler):
    owner: GitHubServer

    def _answer(self, head: bool) -> None:
        headers = {k.lower(): v for k, v in self.headers.items()}
        fault = self.owner._record(self.command, self.path, headers)
        if self._play(fault, head):
            return
        if self.owner.limited:
            self._send_error(
                403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1767225600"}, head
            )
            return
        status, doc = self.owner.answer(self.path.split("?", 1)[0])
        if status != 200:
            self._send_error(status, {}, head)
            return
        body = json.dumps(doc).encode()
        if isinstance(fault, BadJSON):
            body = body[: len(body) // 2]
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        if headers.get("if-none-match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", etag)
        self.send_header("Cache-Control", "private, max-age=60")
        self.send_header("x-ratelimit-remaining", "4999")
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _send_error(self, code: int, extra: Any, head: bool) -> None:
        body = json.dumps({"message": "Not Found" if code == 404 else "error"}).encode()
        self.send_response(code)
        for k, v in extra.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)


class GitHubServer(ScriptedFaults, BackgroundHTTPServer):
    def __init__(self, repos: list[Repo] | None = None) -> None:
        super().__init__()
        self.repos: dict[str, Repo] = {}
        self.limited = False
        for r in repos or []:
            self.add(r)

    def add(self, repo: Repo) -> Repo:
        self.repos[repo.slug.lower()] = repo
        return repo

    def rate_limited(self, on: bool = True) -> None:
        self.limited = on

    def _handler(self) -> type[ScriptedHandler]:
        return _Handler

    def answer(self, path: str) -> tuple[int, Any]:
        parts = [unquote(p) for p in path.strip("/").split("/")]
        if len(parts) < 3 or parts[0] != "repos":
            return 404, None
        repo = self.repos.get(f"{parts[1]}/{parts[2]}".lower())
        if repo is None:
            return 404, None
        rest = parts[3:]
        with self._lock:
            return self._repo_answer(repo, rest)

    def _repo_answer(self, repo: Repo, rest: list[str]) -> tuple[int, Any]:
        api = f"{self.url}/repos/{repo.slug}"
        if not rest:
            return 200, {
                "full_name": repo.slug,
                "owner": {"login": repo.owner, "type": repo.owner_type},
                "archived": repo.archived,
                "default_branch": repo.default_branch,
                "html_url": f"https://github.com/{repo.slug}",
            }
        what = rest[0]
        if what == "releases" and len(rest) == 1:
            return 200, [
                {"tag_name": t, "published_at": d, "draft": False, "prerelease": False}
                for t, d in sorted(repo.releases, key=lambda r: r[1], reverse=True)
            ]
        if what == "branches" and len(rest) == 1:
            return 200, [
                {"name": b, "commit": {"sha": c}} for b, c in sorted(repo.branches.items())
            ]
        if what == "tags" and len(rest) == 1:
            return 200, [
                {"name": t, "commit": {"sha": repo.commit_of(t)}} for t in sorted(repo.tags)
            ]
        if what == "commits" and len(rest) == 2:
            commit = repo.commits.get(rest[1]) or repo.fork_commits.get(rest[1])
            if commit is None:
                return 404, None
            return 200, {"sha": rest[1], "commit": {"committer": {"date": commit.date}}}
        if what == "git" and rest[1:3] == ["ref", "tags"] and len(rest) >= 4:
            tag = "/".join(rest[3:])
            if tag not in repo.tags:
                return 404, None
            value = repo.tags[tag]
            obj = (
                {"type": "commit", "sha": value}
                if isinstance(value, str)
                else {"type": "tag", "sha": value[1]}
            )
            return 200, {"ref": f"refs/tags/{tag}", "object": obj, "url": api}
        if what == "git" and rest[1:3] == ["ref", "heads"] and len(rest) >= 4:
            branch = "/".join(rest[3:])
            if branch not in repo.branches:
                return 404, None
            return 200, {"ref": f"refs/heads/{branch}",
                         "object": {"type": "commit", "sha": repo.branches[branch]}}  # fmt: skip
        if what == "git" and len(rest) == 3 and rest[1] == "tags":
            for value in repo.tags.values():
                if not isinstance(value, str) and value[1] == rest[2]:
                    return 200, {"sha": value[1], "object": {"type": "commit", "sha": value[2]}}
            return 404, None
        if what == "compare" and len(rest) >= 2:
            base, _, head = "/".join(rest[1:]).partition("...")
            base_sha = repo.branches.get(base) or (
                repo.commit_of(base) if base in repo.tags else base
            )
            every = {**repo.commits, **repo.fork_commits}
            if base_sha not in every or head not in every:
                return 404, None
            if base_sha == head:
                status = "identical"
            elif head in repo.ancestors(base_sha):
                status = "behind"
            elif base_sha in repo.ancestors(head):
                status = "ahead"
            else:
                status = "diverged"
            return 200, {"status": status}
        return 404, None


# --- reconstructed incident repositories ----------------------------------------------------

TJ_MALICIOUS = "0e58ed8671d6b60d0890c21b07f8835ace038e67"  # as named in the public reports


def tj_actions() -> Repo:
    """tj-actions/changed-files as it stood before 2025-03-14 (RECONSTRUCTED): an
    organisation's repository whose release tags v1..v45 point at commits of main. The
    commits and dates are stand-ins; `repoint_tj_actions` then does what the attacker did."""
    repo = Repo("tj-actions", "changed-files")
    history = repo.line("main", 45, start="2023-01-01")
    for i, c in enumerate(history, 1):
        repo.tags[f"v{i}"] = c
        repo.releases.append((f"v{i}", f"2023-{(i % 12) + 1:02d}-01T00:00:00Z"))
    return repo


def repoint_tj_actions(repo: Repo) -> None:
    """2025-03-14: every version tag re-pointed at one commit on no branch (the attacker's,
    0e58ed86...; its parent a stand-in)."""
    repo.commits[TJ_MALICIOUS] = Commit("2025-03-14T16:00:00Z", (repo.branches["main"],))
    for tag in list(repo.tags):
        repo.tags[tag] = TJ_MALICIOUS


def reviewdog_action_setup() -> Repo:
    """reviewdog/action-setup (RECONSTRUCTED, every SHA a stand-in): `v1` an annotated tag
    on main. The March 2025 attack moved `v1` to a commit that printed runner secrets."""
    repo = Repo("reviewdog", "action-setup")
    history = repo.line("main", 6, start="2024-05-01")
    repo.tags["v1"] = ("annotated", sha("reviewdog:v1:tag-object"), history[-1])
    repo.tags["v1.3.0"] = history[-1]
    repo.releases.append(("v1.3.0", "2024-05-06T10:00:00Z"))
    return repo


def repoint_reviewdog(repo: Repo) -> str:
    """Move the annotated `v1` to a new commit on no branch; the new commit."""
    bad = sha("reviewdog:malicious")
    repo.commits[bad] = Commit("2025-03-11T18:42:00Z", (repo.branches["main"],))
    repo.tags["v1"] = ("annotated", sha("reviewdog:v1:tag-object:2"), bad)
    return bad


def first_party_checkout() -> Repo:
    """actions/checkout (stand-in history): v4.2.2 on main."""
    repo = Repo("actions", "checkout")
    history = repo.line("main", 10, start="2024-10-01")
    repo.tags["v4.2.2"] = history[-2]
    repo.tags["v4"] = history[-2]
    repo.releases.append(("v4.2.2", "2024-10-23T14:46:00Z"))
    return repo
