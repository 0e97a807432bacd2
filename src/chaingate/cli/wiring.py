"""The one place the CLI builds the pipeline from its options: settings and policy into scan
options, files into an inventory, and the scan, the diff or an install guard's scan run
under a progress bar. The commands call these; nothing else in cli/ builds pipeline parts."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from msgspec.structs import replace

from chaingate.cli.options import CommandError, Common, parse_as_of, parse_now
from chaingate.core.text import safe

if TYPE_CHECKING:
    from chaingate.analysis.run import InspectOptions
    from chaingate.core.inventory import Inventory
    from chaingate.engine import Engine
    from chaingate.engine.diff import DiffResult
    from chaingate.engine.result import ScanResult
    from chaingate.engine.scan import Progress, ScanOptions
    from chaingate.policy.policy import Policy

T = TypeVar("T")


def prepare(c: Common, pol: Policy | None = None) -> tuple[ScanOptions, Inventory]:
    """The scan options and the inventory for the shared options. `pol` is the caller's
    policy when it has one (check, diff); else the project's is read, as check would read
    it (none for --env)."""
    from chaingate import config
    from chaingate.ecosystems.pypi.registry import IndexUrls
    from chaingate.engine.scan import DomainOptions, ScanOptions
    from chaingate.net.http import HttpSettings

    started = time.time()  # --deadline counts from here
    index, _source = config.index_url(c.index_url)
    try:
        IndexUrls.parse(index)
    except ValueError as exc:
        raise CommandError(f"--index-url: {exc}") from None
    pinned_now = parse_now(c.now)
    as_of = parse_as_of(c.as_of)
    if as_of is not None and pinned_now is not None:
        raise CommandError("--as-of and --now: give one (--as-of also pins the clock)")
    domains = None
    if not c.no_domain_checks:
        try:
            domains = DomainOptions(
                dns_servers=config.dns_servers(c.dns_server),
                bootstrap_url=config.rdap_bootstrap_url(),
                ttl_hours=c.domain_ttl,
                dns_timeout=c.dns_timeout,
            )
        except ValueError as exc:
            raise CommandError(f"--dns-server: {exc}") from None
    try:
        advisories = config.advisories(c.advisories, c.offline)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    if pol is None:
        from chaingate.policy.policy import Policy, load_policy

        pol = Policy() if c.env else load_policy(c.path or Path("."))
    thresholds = pol.thresholds
    if c.cooldown is not None:
        thresholds = replace(thresholds, cooldown_hours=c.cooldown)
    cache_dir = cache_directory(c.cache_dir)
    inventory = _inventory(
        c.path,
        env=c.env,
        resolve=not c.no_resolve,
        index=index,
        build=_build(c, pol),
        cache_dir=cache_dir,
        target=(c.python_version, c.platform),
    )
    if c.scope:
        from chaingate.core.inventory import InventoryError
        from chaingate.inventory.scopes import restrict

        try:
            inventory = restrict(inventory, c.scope)
        except InventoryError as exc:
            raise CommandError(str(exc)) from None
    opts = ScanOptions(
        index_url=index,
        http=HttpSettings(
            cache_dir=cache_dir,
            ttl=c.cache_ttl,
            timeout=c.timeout,
            retries=c.retries,
            concurrency=c.concurrency,
            refresh=c.refresh,
            offline=c.offline,
            deadline_at=None if c.deadline is None else started + c.deadline,
            max_document_bytes=c.max_document_size * 1024 * 1024,
        ),
        db_url=None if c.no_db else config.db_url(c.db),
        now=pinned_now,
        as_of=as_of,
        thresholds=thresholds,
        ignores=pol.ignores,
        domains=domains,
        deep=c.deep,
        advisories=advisories,
        github_api_url=c.github_api_url,
    )
    return opts, inventory


def cache_directory(option: Path | None) -> Path:
    """The cache directory (--cache-dir, CHAINGATE_CACHE_DIR or the user's), made if
    missing; one that cannot be (a file is in the way, no permission) is the user's to fix."""
    from chaingate import config
    from chaingate.net.atomic import private_dirs

    where = config.cache_dir(option)
    try:
        private_dirs(where)
    except OSError as exc:
        raise CommandError(f"cache directory {where}: {exc.strerror or exc}") from None
    return where


def engine(opts: ScanOptions, pol: Policy | None = None) -> Engine:
    """The command's one engine: its HTTP client, store and policy for the whole command."""
    from chaingate.engine import Engine

    return Engine.from_options(opts, policy=pol)


def analyse(c: Common, pol: Policy | None = None) -> ScanResult:
    """Inventory, facts, domain intelligence and findings for the shared options."""
    opts, inventory = prepare(c, pol)
    with engine(opts, pol) as e:
        return run(lambda cb: _scan(e, inventory, cb))


def _scan(e: Engine, inventory: Inventory, progress: Progress | None) -> ScanResult:
    """A scan; when documents come through httpx, its cold download spread over two cores
    first (cli/prefetch.py). With libcurl (net/curl.py) one process fetches faster alone:
    a child's start-up and imports cost more than its share of the download (bench/
    RESULTS.md, issue 19)."""
    from chaingate.core.inventory import Origin
    from chaingate.net.http import uses_libcurl

    if not uses_libcurl():
        from chaingate.cli.prefetch import warm

        warm(e, [p.ref for p in inventory.packages if p.origin is Origin.REGISTRY], progress)
    return e.scan(inventory, progress)


def analyse_diff(c: Common, pol: Policy, base: str) -> DiffResult:
    """What the project at `c.path` introduces over `base` (a git ref or an older file)."""
    from chaingate.core.inventory import InventoryError
    from chaingate.inventory.gitbase import empty_inventory, open_base

    opts, head_inventory = prepare(c, pol)
    with ExitStack() as stack:
        try:
            b = stack.enter_context(open_base(base, c.path or Path(".")))
        except InventoryError as exc:
            raise CommandError(f"at --base {base}: {exc}") from None
        if b.target is None:
            base_inventory = empty_inventory(base)
        else:
            found = _inventory(
                b.target,
                env=False,
                resolve=not c.no_resolve,
                index=opts.index_url,
                build=_build(c, pol),
                cache_dir=opts.http.cache_dir,
                target=(c.python_version, c.platform),
            )
            base_inventory = replace(found, root=base)
            if c.scope:  # (the base may not have the scope yet: not an error there)
                from chaingate.inventory.scopes import restrict

                base_inventory = restrict(base_inventory, c.scope, strict=False)
        e = stack.enter_context(engine(opts, pol))
        return run(
            lambda cb: e.diff(
                base_inventory, head_inventory, cb, base_label=base, base_commit=b.commit
            )
        )


def guard_options(index_url: str, pol: Policy) -> ScanOptions:
    """The install guards' scan options: the policy's thresholds and ignores, everything
    else from CHAINGATE_* settings. A bad setting raises ValueError."""
    from chaingate import config
    from chaingate.engine.scan import DomainOptions, ScanOptions
    from chaingate.net.http import HttpSettings

    return ScanOptions(
        index_url=index_url,
        http=HttpSettings(cache_dir=cache_directory(None)),
        db_url=config.db_url(None),
        thresholds=pol.thresholds,
        ignores=pol.ignores,
        domains=DomainOptions(
            dns_servers=config.dns_servers(None), bootstrap_url=config.rdap_bootstrap_url()
        ),
        advisories=config.advisories(None, False),
    )


def inspect_options(
    index_url: str | None,
    cache_dir: Path | None,
    timeout: float,
    retries: int,
    as_of: datetime | None = None,
) -> InspectOptions:
    from chaingate import config
    from chaingate.analysis.run import InspectOptions
    from chaingate.net.http import HttpSettings

    return InspectOptions(
        index_url=config.index_url(index_url)[0],
        http=HttpSettings(cache_dir=cache_directory(cache_dir), timeout=timeout, retries=retries),
        as_of=as_of,
    )


def _build(c: Common, pol: Policy) -> bool:
    """Whether the resolver may build source distributions (run their build backends):
    only when --allow-build or the policy's `[resolve] build = true` says so, and never
    with --no-build."""
    return (c.allow_build or pol.build) and not c.no_build


def _inventory(
    path: Path | None,
    *,
    env: bool,
    resolve: bool,
    index: str,
    build: bool,
    cache_dir: Path | None,
    target: tuple[str | None, str | None] = (None, None),
) -> Inventory:
    """The packages of `path` (with `env`, of that virtualenv or this interpreter's), resolved
    when `resolve` for `target` (--python-version, --platform). A failed resolution is a
    warning and an incomplete tree, not an error; so is a scope (a group, an extra) that
    alone did not resolve."""
    from chaingate.ecosystems.pypi.resolve import ResolutionError
    from chaingate.inventory.build import build_inventory

    if env:
        venv = str(path) if path else sys.executable
        return build_inventory(Path("."), resolve_deps=False, index_url=index, env=venv)
    where = path or Path(".")
    if not where.exists():
        raise CommandError(f"{where}: no such file or directory")
    try:
        found = build_inventory(
            where,
            resolve_deps=resolve,
            index_url=index,
            build=build,
            cache_dir=cache_dir,
            python_version=target[0],
            platform=target[1],
        )
    except ResolutionError as exc:
        # A name missing from the index is the dependency-confusion case the scan exists
        # to report: scan what the files declare, and say the tree is incomplete.
        reason = f"could not resolve dependencies, so transitive ones are unknown: {exc}"
        print(f"chaingate: warning: {safe(reason, keep_newlines=True)}", file=sys.stderr)
        declared = build_inventory(where, resolve_deps=False, index_url=index, cache_dir=cache_dir)
        return replace(declared, unresolved=(*declared.unresolved, reason))
    for failure in found.unresolved_scopes:
        print(f"chaingate: warning: {safe(failure.reason, keep_newlines=True)}", file=sys.stderr)
    return found


def run(work: Callable[[Progress | None], T]) -> T:
    """Run a scan-like job, with a progress bar on stderr when a person is watching."""
    if not sys.stderr.isatty():
        return work(None)
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("fetching registry facts"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("fetch", total=None)

        def cb(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        return work(cb)
