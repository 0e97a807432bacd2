"""The OSV API: `POST /v1/querybatch` for every pinned version (up to 1000 queries a request,
following each result's `next_page_token`), then `GET /v1/vulns/{id}` for each record found.

The batch answers are queries (never cached); the records are documents, cached by the HTTP
client like registry documents. Any failure -- the server down, a 5xx after the retries, a
timeout, an answer that is not OSV's -- raises `AdvisoryError`: the caller reports the
check unavailable, never "no vulnerabilities".
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING
from urllib.parse import quote

from chaingate.core.facts import Vulnerability
from chaingate.core.refs import PackageRef
from chaingate.facts.advisories.osv import OSV_ECOSYSTEMS, RecordError, parse_record

if TYPE_CHECKING:
    from chaingate.net.http import HttpClient

BATCH = 1000  # queries per querybatch request, OSV's limit
MAX_PAGES = 100  # next_page_token rounds followed for one query before giving up


class AdvisoryError(Exception):
    """The advisory source could not answer; the message is the reason shown to the user."""


async def query(
    client: HttpClient, base: str, refs: Sequence[PackageRef]
) -> dict[PackageRef, tuple[Vulnerability, ...]]:
    """The OSV records that concern each pinned ref (every ref is answered; an empty tuple:
    OSV knows of none). Refs of an ecosystem OSV is not asked about are left out."""
    import asyncio

    from chaingate.net.http import FetchError

    asked = [r for r in refs if r.version and r.ecosystem in OSV_ECOSYSTEMS]
    base = base.rstrip("/")
    ids: dict[PackageRef, list[str]] = {r: [] for r in asked}
    try:
        pending: list[tuple[PackageRef, str | None]] = [(r, None) for r in asked]
        rounds = 0
        while pending:
            rounds += 1
            if rounds > MAX_PAGES:
                raise AdvisoryError(f"{base}: more than {MAX_PAGES} pages of results")
            chunks = [pending[i : i + BATCH] for i in range(0, len(pending), BATCH)]
            answers = await asyncio.gather(*(_batch(client, base, c) for c in chunks))
            pending = []
            for chunk, results in zip(chunks, answers, strict=True):
                for (ref, _token), (found, token) in zip(chunk, results, strict=True):
                    ids[ref].extend(found)
                    if token:
                        pending.append((ref, token))
        wanted = sorted({i for found in ids.values() for i in found})
        records = await asyncio.gather(*(_record(client, base, i) for i in wanted))
    except FetchError as exc:
        raise AdvisoryError(f"{base}: {exc}") from None
    by_id = dict(zip(wanted, records, strict=True))
    out: dict[PackageRef, tuple[Vulnerability, ...]] = {}
    for ref, found in ids.items():
        vulns = []
        for rid in dict.fromkeys(found):
            try:
                vuln = parse_record(by_id[rid], ref.ecosystem, ref.name)
            except RecordError as exc:
                raise AdvisoryError(f"{base}/v1/vulns/{rid}: {exc}") from None
            if vuln is not None:
                vulns.append(vuln)
        out[ref] = tuple(vulns)
    return out


async def _batch(
    client: HttpClient, base: str, chunk: Sequence[tuple[PackageRef, str | None]]
) -> list[tuple[list[str], str | None]]:
    """One querybatch request: per query, the ids found and the next page's token."""
    queries = []
    for ref, token in chunk:
        q: dict[str, object] = {
            "package": {"ecosystem": OSV_ECOSYSTEMS[ref.ecosystem], "name": ref.name},
            "version": ref.version,
        }
        if token:
            q["page_token"] = token
        queries.append(q)
    url = f"{base}/v1/querybatch"
    body = await client.post_json(url, json.dumps({"queries": queries}).encode())
    try:
        doc = json.loads(body)
        results = doc["results"]
        if not isinstance(results, list) or len(results) != len(chunk):
            raise ValueError(f"{len(chunk)} queries, {len(results)} results")
        out: list[tuple[list[str], str | None]] = []
        for res in results:
            vulns = res.get("vulns") or []
            found = [str(v["id"]) for v in vulns]
            token = res.get("next_page_token")
            out.append((found, str(token) if token else None))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise AdvisoryError(f"{url}: not an OSV querybatch answer ({exc})") from None
    return out


async def _record(client: HttpClient, base: str, rid: str) -> object:
    url = f"{base}/v1/vulns/{quote(rid, safe='')}"
    resp = await client.fetch(url)
    if resp.status != 200:
        raise AdvisoryError(f"{url}: HTTP {resp.status}")
    try:
        return json.loads(resp.body)
    except ValueError:
        client.forget(url)
        raise AdvisoryError(f"{url}: not JSON") from None
