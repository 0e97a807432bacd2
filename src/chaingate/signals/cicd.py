"""The CI/CD supply chain: GitHub Actions, reusable workflows, container images and
pre-commit hooks, referenced by a ref that can be moved (tj-actions/changed-files, March
2025: tags v1..v45.0.7 re-pointed to one malicious commit; reviewdog/action-setup `v1`),
a tag that was moved, a commit that is not the repository's own, an archived repository.

The `unpinned-*` signals read only the files (they work offline); the others need the GitHub
API's facts, and are unavailable by name when it could not be asked (`FACT_CHECKS`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from chaingate.core.facts import GitRef
from chaingate.core.findings import Finding, Severity
from chaingate.core.inventory import Origin, Package
from chaingate.signals.catalog import ACCOUNT_REALMS, PackageContext, needs_facts, package_signal

FAMILY = "cicd"
ACTIONS, HOOKS = "github-actions", "pre-commit"
FIRST_PARTY = frozenset({"actions", "github"})
# what a job exposes that makes running moved code there worse (workflows.py's words)
EXPOSED = ("write-permissions", "secrets", "pull_request_target")

needs_facts(ACTIONS, "action-ref-moved", "action-impostor-commit", "archived-action")
needs_facts(HOOKS, "action-ref-moved", "action-impostor-commit", "archived-action")
# an action's owner and a hook repository's owner are the same GitHub principal
ACCOUNT_REALMS.update({ACTIONS: "github", HOOKS: "github"})


def _used_at(pkg: Package) -> list[str]:
    """Where the project names `pkg` (`file:line`), for a finding's evidence."""
    return [f"{loc.file}:{loc.line}" for loc in pkg.locations]


def _is_sha(ref: str | None) -> bool:
    return ref is not None and len(ref) == 40 and all(c in "0123456789abcdef" for c in ref)


def _image(ctx: PackageContext) -> bool:
    return ctx.package.name.startswith("docker://")


@package_signal(
    "unpinned-action",
    Severity.MEDIUM,
    FAMILY,
    "A GitHub Action or reusable workflow is used by tag or branch, not by full commit SHA",
)
def unpinned_action(ctx: PackageContext) -> Iterator[Finding]:
    pkg = ctx.package
    if pkg.ecosystem != ACTIONS or _image(ctx) or _is_sha(pkg.version):
        return
    owner = pkg.name.partition("/")[0]
    exposed = [e for e in EXPOSED if e in pkg.exposure]
    third_party = owner not in FIRST_PARTY
    severity = Severity.HIGH if third_party and exposed else Severity.MEDIUM
    where = _where(exposed)
    yield Finding(
        id="unpinned-action",
        severity=severity,
        package=pkg.name,
        version=pkg.version,
        message=(
            f"{pkg.name}@{pkg.version} is used by a tag or branch{where}. Whoever can push "
            f"to {pkg.name} can move it to other code, which then runs in your workflow "
            "(tj-actions/changed-files, March 2025). Pin the full commit SHA, the tag in a "
            "comment: `chaingate pin` does it."
        ),
        evidence={
            "ref": pkg.version,
            "third_party": third_party,
            "exposure": list(pkg.exposure),
            "used_at": _used_at(pkg),
        },
    )


@package_signal(
    "unpinned-hook",
    Severity.MEDIUM,
    FAMILY,
    "A pre-commit hook repository is used at a tag or branch (`rev`), not a full commit SHA",
)
def unpinned_hook(ctx: PackageContext) -> Iterator[Finding]:
    pkg = ctx.package
    if pkg.ecosystem != HOOKS or _is_sha(pkg.version):
        return
    yield Finding(
        id="unpinned-hook",
        severity=Severity.MEDIUM,
        package=pkg.name,
        version=pkg.version,
        message=(
            f"The pre-commit hooks of {pkg.name} are used at rev {pkg.version}, which can be "
            "moved to other code; it runs on every developer's machine that installs the "
            "hooks. Freeze it to the commit (`chaingate pin`, or `pre-commit autoupdate "
            "--freeze`)."
        ),
        evidence={
            "rev": pkg.version,
            "used_at": _used_at(pkg),
        },
    )


@package_signal(
    "unpinned-image",
    Severity.MEDIUM,
    FAMILY,
    "A container image (`docker://`, a job container or service) is used by tag, not digest",
)
def unpinned_image(ctx: PackageContext) -> Iterator[Finding]:
    pkg = ctx.package
    if pkg.ecosystem != ACTIONS or not _image(ctx) or pkg.origin is not Origin.URL:
        return
    if pkg.version is not None and pkg.version.startswith("sha256:"):
        return
    tag = pkg.version or "latest (no tag)"
    yield Finding(
        id="unpinned-image",
        severity=Severity.MEDIUM,
        package=pkg.name,
        version=pkg.version,
        message=(
            f"The image {pkg.name.removeprefix('docker://')} is used at tag {tag}, which its "
            "publisher can push other content to. Pin the digest "
            "(`image@sha256:...`, the tag in a comment)."
        ),
        evidence={
            "tag": pkg.version,
            "exposure": list(pkg.exposure),
            "used_at": _used_at(pkg),
        },
    )


def _where(exposed: list[str]) -> str:
    """` in a job with write permissions and secrets, in a pull_request_target workflow`."""
    job = [e.replace("-", " ") for e in exposed if e != "pull_request_target"]
    out = f" in a job with {' and '.join(job)}" if job else ""
    if "pull_request_target" in exposed:
        out += ("," if out else "") + " in a pull_request_target workflow"
    return out


def _ref(ctx: PackageContext) -> GitRef | None:
    f = ctx.facts
    version = ctx.package.version
    if f is None or version is None or ctx.package.ecosystem not in (ACTIONS, HOOKS):
        return None
    return next((r for r in f.refs if r.ref == version), None)


_EXACT_VERSION = re.compile(r"^v?\d+\.\d+\.\d+$")
_ON_NO_BRANCH = (
    "this is how tj-actions/changed-files and reviewdog/action-setup were turned malicious "
    "in March 2025"
)


@package_signal(
    "action-ref-moved",
    Severity.CRITICAL,
    FAMILY,
    "A tag in use now points at another commit than when last observed (tj-actions)",
)
def action_ref_moved(ctx: PackageContext) -> Iterator[Finding]:
    ref = _ref(ctx)
    if ref is None or ref.kind != "tag" or ctx.previous is None:
        return
    seen = ctx.previous.tags.get(ref.ref)
    if seen is None:
        return
    if seen.commit != ref.commit:  # moved since the last run
        before, since = seen.commit, seen.since
    elif seen.replaced is not None and ref.own is False:
        # moved at an earlier run and still on no branch: said again on every run until
        # the tag leaves that commit, so that a re-run does not pass what the first run
        # blocked
        before, since = seen.replaced, seen.replaced_since or ""
    else:
        return
    pkg = ctx.package
    if ref.own is False:
        severity, how = Severity.CRITICAL, f"a commit that {ref.why}: {_ON_NO_BRANCH}"
    elif ref.own is None:
        severity, how = Severity.HIGH, f"a commit not known to be on a branch ({ref.why})"
    elif _EXACT_VERSION.match(ref.ref):
        severity = Severity.HIGH
        how = "a commit of a branch, but a release's exact version tag is not moved in normal work"
    else:
        severity = Severity.LOW
        how = (
            "a commit of the repository's own branches: a floating tag's update (as v4 "
            "follows each v4.x.y release)"
        )
    yield Finding(
        id="action-ref-moved",
        severity=severity,
        package=pkg.name,
        version=pkg.version,
        message=(
            f"The tag {ref.ref} of {pkg.name} now points at commit {ref.commit}; it pointed "
            f"at {before} (seen since {since}). It moved to {how}. Pin the commit you "
            "reviewed: whatever the tag points at next runs in your workflow."
        ),
        evidence={
            "tag": ref.ref,
            "commit": ref.commit,
            "previous_commit": before,
            "previous_since": since,
            "on_a_branch": ref.own,
            "why": ref.why,
            "used_at": _used_at(pkg),
        },
    )


@package_signal(
    "action-impostor-commit",
    Severity.CRITICAL,
    FAMILY,
    "A pinned commit is not in the repository's own history (a fork's impostor commit)",
)
def action_impostor_commit(ctx: PackageContext) -> Iterator[Finding]:
    ref = _ref(ctx)
    if ref is None or ref.kind != "commit" or ref.own is not False:
        return
    pkg = ctx.package
    yield Finding(
        id="action-impostor-commit",
        severity=Severity.CRITICAL,
        package=pkg.name,
        version=pkg.version,
        message=(
            f"Commit {ref.commit} is served under {pkg.name}, but {ref.why}: it was pushed to "
            "a fork, which GitHub serves through the parent's name. A SHA pin proves nothing "
            "about who wrote it. Pin a commit of the repository's own history."
        ),
        evidence={
            "commit": ref.commit,
            "why": ref.why,
            "used_at": _used_at(pkg),
        },
    )


@package_signal(
    "archived-action",
    Severity.LOW,
    FAMILY,
    "The repository of an action or hook in use is archived: no fixes will come",
)
def archived_action(ctx: PackageContext) -> Iterator[Finding]:
    f = ctx.facts
    if f is None or f.status != "archived" or ctx.package.ecosystem not in (ACTIONS, HOOKS):
        return
    yield Finding(
        id="archived-action",
        severity=Severity.LOW,
        package=ctx.package.name,
        version=ctx.package.version,
        message=(
            f"{f.repository or ctx.package.name} is archived: its owner no longer maintains "
            "it, and a fix for a flaw in it will not come. Replace it."
        ),
        evidence={"repository": f.repository, "source": f.source_url},
    )
