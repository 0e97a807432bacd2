"""A helper process that fetches a share of a scan's registry documents on a second core.

Parent -> helper: one frame, the `_Job`. Helper -> parent: one `_Tick` per project done
(the parent's progress bar counts them), then one `_Done` with what was fetched. The helper
uses the same HTTP cache, facts cache and settings as the parent, and `collect()` without a
helper of its own.

A helper that cannot start, crashes or ends without `_Done` has fetched nothing as far as
the parent is concerned: `collect_in_helper` returns None and the parent fetches the share
itself. So a broken helper costs time, never a package.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable, Collection, Mapping

import msgspec

from chaingate.core.facts import ProjectFacts, Vulnerability
from chaingate.facts.collect import Fetched, collect
from chaingate.net.frames import (
    decoder,
    encoder,
    frame,
    helper_command,
    helper_env,
    read_frame,
    read_frame_async,
    write_frame,
)
from chaingate.net.http import HttpSettings


class _Job(msgspec.Struct):
    wanted: dict[str, list[str]]
    index_url: str
    http: HttpSettings


class _Tick(msgspec.Struct, tag="tick"):
    pass


class _Done(msgspec.Struct, tag="done"):
    facts: dict[str, ProjectFacts]
    not_found: list[str]
    incomplete: dict[str, str]
    vulns: list[tuple[str, str, tuple[Vulnerability, ...]]]
    version_docs_unsupported: bool
    network_requests: int


_Message = _Tick | _Done
COMMAND = tuple(helper_command("chaingate.facts.helper"))


async def collect_in_helper(
    wanted: Mapping[str, Collection[str]],
    index_url: str,
    http: HttpSettings,
    tick: Callable[[], None],
) -> Fetched | None:
    """Run `collect()` for `wanted` in a helper process: its result, or None when the helper
    did not deliver one."""
    try:
        proc = await asyncio.create_subprocess_exec(
            *COMMAND,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env=helper_env(),
        )
    except OSError as exc:
        print(f"chaingate: warning: cannot start a fetch helper: {exc}", file=sys.stderr)
        return None
    assert proc.stdin is not None and proc.stdout is not None
    job = _Job({n: sorted(v) for n, v in wanted.items()}, index_url, http)
    done: _Done | None = None
    try:
        proc.stdin.write(frame(encoder.encode(job)))
        await proc.stdin.drain()
        proc.stdin.close()
        read = decoder(_Message)
        while (payload := await read_frame_async(proc.stdout)) is not None:
            message: _Message = read.decode(payload)
            if isinstance(message, _Tick):
                tick()
            else:
                done = message
    except (OSError, msgspec.DecodeError):
        done = None
    finally:
        if proc.returncode is None and done is None:
            proc.kill()
        code = await proc.wait()
    if done is None:
        print(
            f"chaingate: warning: the fetch helper ended without an answer (exit {code}); "
            "fetching its share here",
            file=sys.stderr,
        )
        return None
    return Fetched(
        facts=done.facts,
        not_found=set(done.not_found),
        incomplete=done.incomplete,
        vulns={(name, version): v for name, version, v in done.vulns},
        version_docs_unsupported=done.version_docs_unsupported,
        network_requests=done.network_requests,
        helped=len(wanted),
    )


def main() -> None:
    try:
        _serve()
    except KeyboardInterrupt:  # Ctrl-C reaches the whole process group; the parent says so
        os._exit(130)


def _serve() -> None:
    payload = read_frame(sys.stdin.buffer)
    if payload is None:
        os._exit(2)
    job: _Job = decoder(_Job).decode(payload)
    out = sys.stdout.buffer
    tick = encoder.encode(_Tick())
    fetched = asyncio.run(
        collect(
            job.wanted,
            job.index_url,
            job.http,
            progress=lambda _done, _total: write_frame(out, tick),
            helper_min=None,
        )
    )
    done = _Done(
        facts=fetched.facts,
        not_found=sorted(fetched.not_found),
        incomplete=fetched.incomplete,
        vulns=[(n, v, vulns) for (n, v), vulns in fetched.vulns.items()],
        version_docs_unsupported=fetched.version_docs_unsupported,
        network_requests=fetched.network_requests,
    )
    write_frame(out, encoder.encode(done))
    # Skip interpreter teardown, as the chaingate command does: the parent is waiting.
    os._exit(0)


if __name__ == "__main__":
    main()
