"""`chaingate proxy`: serve a PyPI-compatible simple index in front of an upstream, leaving
out what the policy blocks (src/chaingate/proxy/, docs/proxy.md)."""

from __future__ import annotations

from pathlib import Path

import click

from chaingate.cli.options import CommandError


@click.command()
@click.option(
    "--upstream",
    default="https://pypi.org",
    metavar="URL",
    help="The PyPI-compatible index in front of which to stand (its /simple/ "
    "is used; given with or without /simple/).",
)
@click.option("--host", default="127.0.0.1", help="Address to listen on.")
@click.option("--port", default=3141, type=click.IntRange(0, 65535), help="Port to listen on.")
@click.option(
    "--policy",
    "policy_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The policy (chaingate.toml form, or a pyproject.toml's [tool.chaingate]); "
    "default: the current directory's, as `check` reads it.",
)
@click.option(
    "--db",
    "db_url",
    metavar="URL",
    help="Database for history (default: CHAINGATE_DB, else SQLite in the data directory).",
)
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where pages, verified files and registry facts are kept (default: "
    "CHAINGATE_CACHE_DIR, else the user cache directory).",
)
@click.option(
    "--page-ttl",
    default=60.0,
    type=click.FloatRange(0, 86400),
    help="Seconds an upstream page is used before it is revalidated.",
)
def proxy(
    upstream: str,
    host: str,
    port: int,
    policy_file: Path | None,
    db_url: str | None,
    cache_dir: Path | None,
    page_ttl: float,
) -> None:
    """Serve a PEP 503/691 index at http://HOST:PORT/simple/ in front of --upstream:
    versions the policy blocks, or younger than [gate] min_release_age, are left out of
    project pages; refused projects and files answer 403 with the reason, and what cannot
    be judged answers 503 (fail closed). Client authentication: CHAINGATE_PROXY_AUTH
    (`user:password`, or a token). Why a version is missing: GET /-/decisions?project=NAME."""
    import os

    from chaingate import config
    from chaingate.engine import Engine
    from chaingate.net.http import HttpSettings
    from chaingate.policy.policy import load_policy
    from chaingate.proxy import ProxyConfig, build, serve
    from chaingate.proxy.upstream import base_url
    from chaingate.store.db import Store
    from chaingate.store.lazy import LazyStore

    try:
        base = base_url(upstream)
    except ValueError as exc:
        raise CommandError(f"--upstream: {exc}") from None
    pol = load_policy(Path("."), policy_file)
    cache = config.cache_dir(cache_dir)
    try:
        advisories = config.advisories(None, offline=False)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    db = config.db_url(db_url)
    store = Store(db)
    engine = Engine(
        http=HttpSettings(cache_dir=cache),
        indexes={"pypi": base},
        store=LazyStore(db, cache),
        policy=pol,
        advisories=advisories,
    )
    app = build(
        ProxyConfig(
            upstream=base,
            cache_dir=cache / "proxy",
            page_ttl=page_ttl,
            auth=os.environ.get("CHAINGATE_PROXY_AUTH") or None,
        ),
        engine,
        store,
    )
    try:
        serve(app, host, port)
    finally:
        engine.close()
        store.close()
