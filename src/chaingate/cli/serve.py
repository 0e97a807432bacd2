"""`chaingate serve`, `chaingate worker`, `chaingate token create`, `chaingate watch add|list`:
the service's commands (the service itself is `chaingate.service`, docs/service.md)."""

from __future__ import annotations

import json
import os
import secrets
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from chaingate.cli.options import CommandError, Number, parse_now

if TYPE_CHECKING:
    from chaingate.facts.intel.run import DomainOptions
    from chaingate.service.runtime import Runtime
    from chaingate.service.settings import ServiceSettings


def _settings(
    db: str | None,
    index_url: str | None,
    poll_interval: float,
    workers: int,
    broker: str | None,
    cache_dir: Path | None,
    now: str | None = None,
) -> ServiceSettings:
    from chaingate import config
    from chaingate.ecosystems.pypi.registry import IndexUrls
    from chaingate.service.settings import ServiceSettings

    index, _ = config.index_url(index_url)
    try:
        IndexUrls.parse(index)
    except ValueError as exc:
        raise CommandError(f"--index-url: {exc}") from None
    try:  # CHAINGATE_ADVISORIES / CHAINGATE_OSV_URL, as for `scan`: online OSV by default
        advisories = config.advisories(None, offline=False)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    domains = _domains()
    return ServiceSettings(
        db_url=config.db_url(db),
        index_url=index,
        cache_dir=config.cache_dir(cache_dir),
        poll_interval=poll_interval,
        broker_url=broker,
        workers=workers,
        admin_token=os.environ.get("CHAINGATE_ADMIN_TOKEN") or None,
        session_secret=os.environ.get("CHAINGATE_SESSION_SECRET") or secrets.token_hex(32),
        now=parse_now(now),
        advisories=advisories,
        domains=domains,
    )


def _domains() -> DomainOptions | None:
    """Email-domain checks for the watcher, as `scan` makes them (on unless
    CHAINGATE_DOMAIN_CHECKS=off; CHAINGATE_DNS_SERVERS, CHAINGATE_RDAP_BOOTSTRAP_URL), each
    answer re-asked after CHAINGATE_DOMAIN_TTL_HOURS (default 24)."""
    from chaingate import config
    from chaingate.facts.intel.run import DomainOptions

    mode = (os.environ.get("CHAINGATE_DOMAIN_CHECKS") or "on").strip().lower()
    if mode not in ("on", "off"):
        raise CommandError(f"CHAINGATE_DOMAIN_CHECKS: {mode!r} is not on or off")
    if mode == "off":
        return None
    raw = os.environ.get("CHAINGATE_DOMAIN_TTL_HOURS") or "24"
    try:
        ttl = float(raw)
        if not 0 < ttl <= 24 * 365:
            raise ValueError
    except ValueError:
        why = f"CHAINGATE_DOMAIN_TTL_HOURS: {raw!r} is not a number of hours"
        raise CommandError(why) from None
    try:
        servers = config.dns_servers(None)
    except ValueError as exc:
        raise CommandError(f"CHAINGATE_DNS_SERVERS: {exc}") from None
    return DomainOptions(dns_servers=servers, bootstrap_url=config.rdap_bootstrap_url(),
                         ttl_hours=ttl)  # fmt: skip


def _runtime(settings: ServiceSettings) -> Runtime:
    from chaingate.service.jobs import bind, make_broker
    from chaingate.service.runtime import Runtime

    try:
        broker = make_broker(settings.broker_url)
    except ValueError as exc:
        raise CommandError(f"--broker: {exc}") from None
    rt = Runtime(settings)
    bind(rt, broker)
    return rt


def _logging() -> None:
    """Jobs that fail, and the scheduler's troubles, on stderr (warnings and up)."""
    import logging

    logging.basicConfig(level=logging.WARNING, format="chaingate: %(name)s: %(message)s")


db_option = click.option("--db", help="Database URL (default: SQLite in the user data dir).")
broker_option = click.option(
    "--broker", envvar="CHAINGATE_BROKER",
    help="redis:// or amqp:// URL of the job broker shared with `chaingate worker`s "
    "(default: an in-process queue).",
)  # fmt: skip
index_option = click.option("--index-url", help="The package index (default: as pip's).")
cache_option = click.option("--cache-dir", type=click.Path(path_type=Path), help="HTTP cache.")


@click.command()
@click.option("--host", default="127.0.0.1", help="Address to listen on.")
@click.option("--port", default=8080, type=click.IntRange(0, 65535), help="Port to listen on.")
@db_option
@click.option(
    "--poll-interval", default=300.0, type=Number(1, 86400),
    help="Seconds between two polls of a watched package.",
)  # fmt: skip
@index_option
@click.option(
    "--workers", default=2, type=click.IntRange(0, 64),
    help="Job worker threads in this process (0: only `chaingate worker`s, needs --broker).",
)  # fmt: skip
@broker_option
@cache_option
@click.option("--now", hidden=True, help="Pin the time the signals judge at (tests, replays).")
def serve(
    host: str, port: int, db: str | None, poll_interval: float, index_url: str | None,
    workers: int, broker: str | None, cache_dir: Path | None, now: str | None,
) -> None:  # fmt: skip
    """Watch projects' dependencies, alert on new findings, serve the API and dashboard."""
    import uvicorn

    from chaingate.service.app import create

    settings = _settings(db, index_url, poll_interval, workers, broker, cache_dir, now)
    if workers == 0 and broker is None:
        raise CommandError("--workers 0 needs --broker: the jobs must run somewhere")
    _logging()
    rt = _runtime(settings)
    try:
        print(f"chaingate: serving on http://{host}:{port}/", file=sys.stderr, flush=True)
        uvicorn.run(create(rt), host=host, port=port, log_level="warning", access_log=False)
    finally:
        rt.close()


@click.command()
@db_option
@broker_option
@index_option
@cache_option
@click.option("--threads", default=2, type=click.IntRange(1, 64), help="Worker threads.")
@click.option("--now", hidden=True, help="Pin the time the signals judge at (tests, replays).")
def worker(
    db: str | None, broker: str | None, index_url: str | None, cache_dir: Path | None,
    threads: int, now: str | None,
) -> None:  # fmt: skip
    """Run jobs (polls, evaluations, deliveries) for a `chaingate serve` on any machine that
    reaches its database and broker."""
    import signal
    import threading

    from chaingate.service.jobs import start_workers

    if broker is None:
        raise CommandError("worker needs --broker (or CHAINGATE_BROKER): redis:// or amqp://")
    _logging()
    rt = _runtime(_settings(db, index_url, 300.0, threads, broker, cache_dir, now))
    assert rt.actors is not None
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    running = start_workers(rt.actors, threads)
    print(f"chaingate: worker running ({threads} threads)", file=sys.stderr, flush=True)
    try:
        stop.wait()
    finally:
        running.stop()
        rt.close()


@click.group()
def token() -> None:
    """API tokens."""


@token.command("create")
@click.argument("name")
@click.option("--read-only", is_flag=True, help="A token that can read but change nothing.")
@db_option
def token_create(name: str, read_only: bool, db: str | None) -> None:
    """Create a token NAME and print it (once: only its hash is kept)."""
    from chaingate import config
    from chaingate.service.auth import create_token
    from chaingate.store.db import Store

    store = Store(config.db_url(db))
    try:
        click.echo(create_token(store.engine, name, read_only))
    finally:
        store.close()


@click.group()
def watch() -> None:
    """Send projects to a chaingate server to watch."""


server_option = click.option(
    "--server", required=True, envvar="CHAINGATE_SERVER", help="The server's URL."
)
token_option = click.option(
    "--token", "tok", required=True, envvar="CHAINGATE_TOKEN", help="An API token."
)


@watch.command("add")
@click.argument("path", type=click.Path(path_type=Path, exists=True))
@server_option
@token_option
@click.option("--name", help="The project's name (default: the directory's).")
def watch_add(path: Path, server: str, tok: str, name: str | None) -> None:
    """Upload the manifests and locks `scan PATH` would read; print the project's id."""
    from chaingate.inventory.discover import discover, kind_of

    if path.is_dir():
        found = [p for p, _ in discover(path)]
        files = {p.relative_to(path).as_posix(): p for p in found}
        name = name or path.resolve().name
    else:
        kind_of(path)
        files = {path.name: path}
        name = name or path.resolve().parent.name
    if not files:
        raise CommandError(f"{path}: no manifest or lock file found")
    body = {"name": name, "files": {k: p.read_text(encoding="utf-8") for k, p in files.items()}}
    status, answer = _call(server, tok, "POST", "/api/v1/projects", body)
    if status != 201:
        raise CommandError(f"{server}: HTTP {status}: {_detail(answer)}")
    click.echo(json.loads(answer)["id"])


@watch.command("list")
@server_option
@token_option
def watch_list(server: str, tok: str) -> None:
    """The projects the server watches: id, name, open findings, last evaluation."""
    status, answer = _call(server, tok, "GET", "/api/v1/projects", None)
    if status != 200:
        raise CommandError(f"{server}: HTTP {status}: {_detail(answer)}")
    for p in json.loads(answer):
        counts = ", ".join(f"{k} {v}" for k, v in sorted(p["open_findings"].items())) or "none"
        click.echo(f"{p['id']}\t{p['name']}\topen findings: {counts}\t{p['evaluated_at']}")


def _call(server: str, tok: str, method: str, path: str, body: Any) -> tuple[int, bytes]:
    from chaingate.net.http import FetchError, HttpClient, HttpSettings
    from chaingate.net.loop import Loop

    client = HttpClient(HttpSettings(cache_dir=None, retries=2))
    headers = {"Authorization": f"Bearer {tok}", "Content-Type": "application/json"}
    payload = None if body is None else json.dumps(body).encode()
    loop = Loop()
    try:
        return loop.run(client.send(method, server.rstrip("/") + path, payload, headers))
    except FetchError as exc:
        raise CommandError(f"{server}: {exc}") from None
    finally:
        loop.close(client.__aexit__(None, None, None))


def _detail(answer: bytes) -> str:
    try:
        return str(json.loads(answer).get("detail"))
    except (ValueError, AttributeError):
        return answer[:200].decode("utf-8", "replace")
