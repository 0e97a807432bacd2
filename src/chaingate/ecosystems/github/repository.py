"""One repository's facts from the GitHub REST API, through the project's `HttpClient`
(cached, revalidated with ETags, retried; a used-up rate limit is an error with its reset
time, so the package is incomplete, never clean).

Requests, for `owner/repo` and the refs in use:
- `GET /repos/{o}/{r}`: the owner's login and type (User or Organization), `archived`,
  the default branch.
- `GET /repos/{o}/{r}/releases?per_page=100`: releases with their dates (the first page).
- a tag or branch in use: `GET /repos/{o}/{r}/git/ref/tags/{ref}` (an annotated tag's object
  is a tag: `GET /repos/{o}/{r}/git/tags/{sha}` until a commit), else
  `.../git/ref/heads/{ref}`; the commit's date from `GET /repos/{o}/{r}/commits/{sha}`.
- a commit SHA in use: `GET /repos/{o}/{r}/commits/{sha}` answers for any commit of the
  fork network, a fork's included (that is how an impostor commit is served under the
  parent's name). Whether the repository's own history holds it is what zizmor's
  impostor-commit audit asks: is it the head of a branch or tag, else does
  `GET /repos/{o}/{r}/compare/{branch-or-tag}...{sha}` say `behind` or `identical` for any
  branch (the default branch first) or tag. No ref reaching it: an impostor. More refs than
  `MAX_COMPARES` to try: cannot tell (unavailable, not clean).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Collection
from datetime import datetime
from typing import Any
from urllib.parse import quote

import msgspec

from chaingate.core.facts import Account, GitRef, ProjectFacts, Release
from chaingate.ecosystems.interface import Answer

SHA_LENGTH = 40
MAX_COMPARES = 30
MAX_TAG_DEPTH = 5

# url -> (status, parsed JSON or None); raises Miss (cache) or FetchError (network)
Get = Callable[[str], Awaitable[tuple[int, Any]]]


class Miss(Exception):
    """The cache cannot answer: the network is needed."""


class Unavailable(Exception):
    """The API could not say (a fetch failed, a document was malformed)."""


def is_sha(ref: str) -> bool:
    return len(ref) == SHA_LENGTH and all(c in "0123456789abcdef" for c in ref)


async def repository_answer(
    get: Get, base: str, ecosystem: str, name: str, slug: str, versions: Collection[str],
    now: datetime,
) -> Answer:  # fmt: skip
    """The facts of GitHub repository `slug` (`owner/repo`) as package `name`."""
    api = f"{base}/repos/{slug}"
    status, repo = await get(api)
    if status == 404:
        return Answer(not_found=True)
    repo = _dict(repo, api)
    owner = _dict(repo.get("owner"), api)
    login, kind = str(owner.get("login", "")), str(owner.get("type", ""))
    if not login:
        raise Unavailable(f"{api}: no owner in the answer")
    _, listed = await get(f"{api}/releases?per_page=100")
    releases: dict[str, Release] = {}
    latest = None
    for item in listed if isinstance(listed, list) else ():
        if not isinstance(item, dict) or item.get("draft"):
            continue
        tag, when = item.get("tag_name"), _when(item.get("published_at"))
        if isinstance(tag, str) and tag not in releases:
            releases[tag] = Release(tag, when, False, None)
            if latest is None and not item.get("prerelease"):
                latest = tag
    refs: list[GitRef] = []
    for version in sorted(set(versions)):
        ref = await _resolve(get, api, version, str(repo.get("default_branch") or ""))
        if ref is None:
            continue  # not a ref of this repository: the version is then "not on the index"
        refs.append(ref)
        if version not in releases:
            _, commit = await get(f"{api}/commits/{ref.commit}")
            releases[version] = Release(version, _commit_date(commit), False, None)
    ordered = sorted(releases.values(), key=lambda r: (r.uploaded_at is None, r.uploaded_at))
    org = kind == "Organization"
    return Answer(
        facts=ProjectFacts(
            ecosystem=ecosystem,
            name=name,
            fetched_at=now,
            source_url=api,
            latest_version=latest,
            owners=() if org else (Account(login, "Owner"),),
            organization=login if org else None,
            people=(),
            releases=tuple(ordered),
            repository=str(repo.get("html_url") or f"https://github.com/{slug}"),
            status="archived" if repo.get("archived") is True else None,
            refs=tuple(refs),
        ),
        vulns_note="GitHub repositories have no per-version vulnerability list here",
    )


async def _resolve(
    get: Get, api: str, version: str, default_branch: str, check: bool = True
) -> GitRef | None:
    """What `version` is: a commit of the fork network (with whether the repository's
    branches or tags reach it), a tag (with whether a branch reaches its commit, when
    `check`) or a branch; None when it is none of them."""
    if is_sha(version):
        status, _ = await get(f"{api}/commits/{version}")
        if status == 404:
            return None
        own, why = await _reachable(get, api, version, default_branch)
        return GitRef(version, "commit", version, own, why)
    for kind, space in (("tag", "tags"), ("branch", "heads")):
        status, doc = await get(f"{api}/git/ref/{space}/{quote(version, safe='')}")
        if status == 404 or not isinstance(doc, dict):
            continue
        obj = _dict(doc.get("object"), api)
        for _ in range(MAX_TAG_DEPTH):
            if obj.get("type") != "tag":
                break
            _, tag = await get(f"{api}/git/tags/{obj.get('sha')}")
            obj = _dict(_dict(tag, api).get("object"), api)
        sha = obj.get("sha")
        if obj.get("type") != "commit" or not isinstance(sha, str) or not is_sha(sha):
            raise Unavailable(f"{api}: {kind} {version} does not lead to a commit")
        if kind == "branch" or not check:
            return GitRef(version, kind, sha)
        # A tag's commit on no branch is how tj-actions' re-pointed tags looked.
        own, why = await _reachable(get, api, sha, default_branch, branches_only=True)
        return GitRef(version, kind, sha, own, why)
    return None


async def _reachable(
    get: Get, api: str, sha: str, default_branch: str, branches_only: bool = False
) -> tuple[bool | None, str]:
    """Whether a branch (or tag) of the repository reaches `sha`, and why or why not."""
    _, branches = await get(f"{api}/branches?per_page=100")
    tags: Any = []
    if not branches_only:
        _, tags = await get(f"{api}/tags?per_page=100")
    heads: list[tuple[str, str]] = []  # (name, head commit)
    for kind, listed in (("branch", branches), ("tag", tags)):
        for item in listed if isinstance(listed, list) else ():
            commit = item.get("commit") if isinstance(item, dict) else None
            head = commit.get("sha") if isinstance(commit, dict) else None
            if isinstance(item, dict) and isinstance(item.get("name"), str):
                heads.append((str(item["name"]), str(head or "")))
                if head == sha:
                    return True, f"the head of {kind} {item['name']}"
    heads.sort(key=lambda h: h[0] != default_branch)  # the default branch first
    for name, _ in heads[:MAX_COMPARES]:
        status, cmp = await get(f"{api}/compare/{quote(name, safe='')}...{sha}")
        if status == 200 and isinstance(cmp, dict) and cmp.get("status") in ("behind", "identical"):
            return True, f"in the history of {name}"
    full = any(isinstance(x, list) and len(x) >= 100 for x in (branches, tags))
    if len(heads) > MAX_COMPARES or full:
        return None, "too many branches and tags to compare them all"
    refs = "branch" if branches_only else "branch or tag"
    return False, f"no {refs} of {len(heads)} reaches it"


def _dict(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Unavailable(f"{where}: unexpected answer")
    return value


def _when(value: Any) -> datetime | None:
    """An RFC 3339 time as GitHub writes it (`2025-03-14T16:00:00Z`), else None."""
    try:
        return msgspec.convert(value, datetime) if isinstance(value, str) else None
    except msgspec.ValidationError:
        return None


def _commit_date(doc: Any) -> datetime | None:
    commit = doc.get("commit") if isinstance(doc, dict) else None
    committer = commit.get("committer") if isinstance(commit, dict) else None
    return _when(committer.get("date")) if isinstance(committer, dict) else None


def decode(body: bytes, url: str) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        raise Unavailable(f"{url}: malformed JSON") from None


async def resolve_ref(get: Get, base: str, slug: str, ref: str) -> GitRef | None:
    """What a tag or branch of `slug` points at now (annotated tags followed), or None
    when the repository has no such ref (for `chaingate pin`)."""
    status, _ = await get(f"{base}/repos/{slug}")
    if status == 404:
        return None
    return await _resolve(get, f"{base}/repos/{slug}", ref, "", check=False)
