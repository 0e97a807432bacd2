"""Name and origin: look-alike names, names missing from the index, and dependencies that
bypass the index altogether."""

from __future__ import annotations

import re
from collections.abc import Iterator

from chaingate.core.findings import Finding, Severity
from chaingate.core.inventory import Origin
from chaingate.signals.catalog import PackageContext, declare, package_signal


@package_signal(
    "typosquat",
    Severity.HIGH,
    "name",
    "The name is one small edit away from a popular package and is not popular itself",
)
def typosquat(ctx: PackageContext) -> Iterator[Finding]:
    from chaingate.signals.typosquat import resembles

    if ctx.package.origin is not Origin.REGISTRY or ctx.popular is None:
        return
    match = resembles(ctx.package.name, ctx.popular)
    if match is None:
        return
    yield Finding(
        id="typosquat",
        severity=Severity.HIGH,
        package=ctx.package.name,
        version=ctx.package.version,
        message=(
            f"{ctx.package.name!r} looks like the popular package {match.target!r} "
            f"(download rank {match.target_rank}): {match.detail}. Check the spelling in "
            f"your manifest; if you meant {match.target}, replace it."
        ),
        evidence={"resembles": match.target, "rank": match.target_rank, "kind": match.kind},
    )


@package_signal(
    "not-on-registry",
    Severity.HIGH,
    "name",
    "The package is not on the index: a private name an attacker could register publicly",
)
def not_on_registry(ctx: PackageContext) -> Iterator[Finding]:
    if not ctx.not_found or ctx.package.origin is not Origin.REGISTRY:
        return
    yield Finding(
        id="not-on-registry",
        severity=Severity.HIGH,
        package=ctx.package.name,
        version=ctx.package.version,
        message=(
            f"{ctx.package.name} does not exist on the index. If it is an internal package, "
            "anyone can register this name publicly and installers that also look at the "
            "public index may pick the attacker's copy (dependency confusion, as with "
            "torchtriton). Register a placeholder or install it from a pinned URL."
        ),
        evidence={"origin": ctx.package.origin.value},
    )


# Raised by the install guards, which know every source pip or uv would consult
# (ecosystems/pypi/install/sources.py), not by a scan: no function of its own here.
declare(
    "dependency-confusion",
    Severity.HIGH,
    "name",
    "A name the installer would take from a source other than the judged index: offered "
    "by more than one source, or a file the judged index does not publish",
)


_FULL_COMMIT = re.compile(r"@[0-9a-f]{40}(?:[#&]|$)")


@package_signal(
    "unpinned-source",
    Severity.MEDIUM,
    "name",
    "The dependency comes from a URL, a VCS or a local path and bypasses the index",
)
def unpinned_source(ctx: PackageContext) -> Iterator[Finding]:
    pkg = ctx.package
    if pkg.origin is Origin.REGISTRY:
        return
    url = pkg.url or ""
    if url.startswith("docker://"):
        return  # a container image of a workflow: unpinned-image speaks for it
    if pkg.origin is Origin.VCS:
        pinned = bool(_FULL_COMMIT.search(url))
        severity = Severity.LOW if pinned else Severity.MEDIUM
        why = (
            "pinned to a full commit hash"
            if pinned
            else "pinned to a branch or tag that can be moved to other code (tj-actions)"
        )
    elif pkg.origin is Origin.URL:
        pinned = "sha256=" in url
        severity = Severity.LOW if pinned else Severity.MEDIUM
        why = "with a hash" if pinned else "with no hash, so its content can change"
    else:
        severity = Severity.INFO
        why = "a local path (its content is whatever is on disk)"
    yield Finding(
        id="unpinned-source",
        severity=severity,
        package=pkg.name,
        version=pkg.version,
        message=(
            f"{pkg.name} is installed from {pkg.origin.value} {url or '(no URL)'}, {why}. It "
            "bypasses the index, so no registry checks apply to it."
        ),
        evidence={"origin": pkg.origin.value, "url": url or None},
    )
