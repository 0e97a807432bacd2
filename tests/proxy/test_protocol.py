"""The proxy as an index speaks it: PEP 691 negotiation, PEP 658 metadata, links that stay on
the proxy, and the requests it refuses (traversal, other hosts, bodies, injection, auth)."""

from __future__ import annotations

import base64
import hashlib
import json
import socket
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from chaingate.proxy import Served
from chaingate.proxy.pages import PEP691_JSON
from tests.osvserver import OsvServer
from tests.proxy.world import METADATA
from tests.pypiserver import PyPIServer


def test_json_and_html_are_negotiated_by_accept_as_pypi_does(proxy: Served) -> None:
    page = httpx.get(f"{proxy.url}/simple/cgsafe/", headers={"Accept": PEP691_JSON})
    assert page.headers["content-type"] == PEP691_JSON
    doc = page.json()
    assert doc["name"] == "cgsafe"
    assert [f["filename"] for f in doc["files"]] == ["cgsafe-1.0-py3-none-any.whl"]
    assert doc["files"][0]["url"] == "../../files/cgsafe/cgsafe-1.0-py3-none-any.whl"
    assert doc["files"][0]["requires-python"] == ">=3.8"
    assert doc["versions"] == ["1.0"]
    html = httpx.get(f"{proxy.url}/simple/cgsafe/", headers={"Accept": "text/html"})
    assert html.headers["content-type"].startswith("text/html")
    assert 'href="../../files/cgsafe/cgsafe-1.0-py3-none-any.whl#sha256=' in html.text
    assert 'data-requires-python="&gt;=3.8"' in html.text
    assert "cgsafe-1.1" not in html.text
    weighted = f"text/html;q=0.5, {PEP691_JSON};q=0.9"
    assert (
        httpx.get(f"{proxy.url}/simple/cgsafe/", headers={"Accept": weighted}).headers[
            "content-type"
        ]
        == PEP691_JSON
    )
    refused = httpx.get(f"{proxy.url}/simple/cgsafe/", headers={"Accept": "image/png"})
    assert refused.status_code == 406


def test_a_name_is_normalised_by_pep_503_before_anything(proxy: Served) -> None:
    moved = httpx.get(f"{proxy.url}/simple/CGSafe/")
    assert moved.status_code == 301
    assert moved.headers["location"] == "/simple/cgsafe/"
    assert httpx.get(f"{proxy.url}/simple/CG_Safe./").status_code == 404  # not a name
    assert httpx.get(f"{proxy.url}/simple/CGSAFE", follow_redirects=True).status_code == 200


def test_pep_658_metadata_is_passed_through_and_verified(proxy: Served) -> None:
    page = httpx.get(f"{proxy.url}/simple/cgmeta/", headers={"Accept": PEP691_JSON}).json()
    digest = hashlib.sha256(METADATA.encode()).hexdigest()
    assert page["files"][0]["core-metadata"] == {"sha256": digest}
    html = httpx.get(f"{proxy.url}/simple/cgmeta/").text
    assert f'data-core-metadata="sha256={digest}"' in html
    got = httpx.get(f"{proxy.url}/files/cgmeta/cgmeta-1.0-py3-none-any.whl.metadata")
    assert got.status_code == 200
    assert got.text == METADATA


def test_the_metadata_file_is_refused_when_its_bytes_differ(
    proxy: Served, upstream: PyPIServer
) -> None:
    upstream.add_file("cgmeta-1.0-py3-none-any.whl.metadata", b"Name: evil\n")
    got = httpx.get(f"{proxy.url}/files/cgmeta/cgmeta-1.0-py3-none-any.whl.metadata")
    assert got.status_code == 502
    assert "do not match" in got.headers["x-chaingate-reason"]


@pytest.mark.parametrize(
    "path",
    [
        "/files/cgsafe/..%2F..%2Fetc%2Fpasswd",
        "/files/cgsafe/../../etc/passwd",
        "/files/cgsafe/%2e%2e",
        "/files/..%2Fcgsafe/cgsafe-1.0-py3-none-any.whl",
        "/files/cgsafe/cgsafe-1.0-py3-none-any.whl%00.txt",
        "/simple/..%2F..%2F/",
        "/files/cgsafe/http:%2F%2Fevil.example.invalid%2Fx.whl",
    ],
)
def test_path_traversal_is_refused(proxy: Served, path: str) -> None:
    with socket.create_connection(("127.0.0.1", proxy.port)) as s:  # bytes as written
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    status = int(answer.split(b" ", 2)[1])
    assert status in (301, 400, 404), answer[:200]
    assert b"root:" not in answer


def test_another_host_is_never_fetched_whatever_the_request_says(
    proxy: Served, upstream: PyPIServer
) -> None:
    before = dict(upstream.hits)
    for headers in ({"Host": "evil.example.invalid"}, {"X-Forwarded-Host": "evil.example.invalid"}):
        page = httpx.get(f"{proxy.url}/simple/cgsafe/", headers=headers)
        assert "evil" not in page.text
    absolute = b"GET http://evil.example.invalid/simple/cgsafe/ HTTP/1.1\r\nHost: evil\r\n"
    with socket.create_connection(("127.0.0.1", proxy.port)) as s:
        s.sendall(absolute + b"Connection: close\r\n\r\n")
        answer = s.recv(65536)
    assert b"evil" not in answer.split(b"\r\n\r\n", 1)[-1]
    assert set(upstream.hits) >= set(before)


def test_a_page_linking_files_on_another_host_is_not_followed_there(
    proxy: Served, upstream: PyPIServer
) -> None:
    with PyPIServer() as elsewhere:
        data = b"never fetched"
        elsewhere.add_file("cgelsewhere-1.0-py3-none-any.whl", data)
        page = {
            "meta": {"api-version": "1.1", "_last-serial": "1"},
            "name": "cgelsewhere",
            "files": [{
                "filename": "cgelsewhere-1.0-py3-none-any.whl",
                "url": f"{elsewhere.url}/files/cgelsewhere-1.0-py3-none-any.whl",
                "hashes": {"sha256": hashlib.sha256(data).hexdigest()},
                "upload-time": "2020-01-01T00:00:00Z",
            }],
        }  # fmt: skip
        upstream.add_document("/simple/cgelsewhere/", json.dumps(page).encode())
        got = httpx.get(f"{proxy.url}/files/cgelsewhere/cgelsewhere-1.0-py3-none-any.whl")
        assert got.status_code == 502
        assert "not on the upstream or its file hosts" in got.text
        assert elsewhere.hits == {}


def test_request_bodies_long_targets_and_other_methods_are_refused(proxy: Served) -> None:
    assert httpx.post(f"{proxy.url}/simple/cgsafe/", content=b"x").status_code == 405
    assert httpx.request("GET", f"{proxy.url}/simple/cgsafe/", content=b"x" * 10).status_code == 413
    assert httpx.get(f"{proxy.url}/simple/{'a' * 3000}/").status_code == 414


def test_a_reason_cannot_inject_headers(proxy: Served) -> None:
    from chaingate.proxy.app import header_safe

    assert header_safe("a\r\nSet-Cookie: x=1\x00é") == "a Set-Cookie: x=1??"
    got = httpx.get(f"{proxy.url}/files/cgsafe/%0d%0aSet-Cookie:%20x")
    assert "set-cookie" not in got.headers


def test_client_authentication(make_proxy: Callable[..., Served]) -> None:
    proxy = make_proxy(auth="s3cret-token")
    page = f"{proxy.url}/simple/cgsafe/"
    assert httpx.get(page).status_code == 401
    assert httpx.get(page, auth=("__token__", "wrong")).status_code == 401
    assert httpx.get(page, auth=("__token__", "s3cret-token")).status_code == 200
    assert httpx.get(page, headers={"Authorization": "Bearer s3cret-token"}).status_code == 200
    bad = base64.b64encode(b"\xff\xfe").decode()
    assert httpx.get(page, headers={"Authorization": f"Basic {bad}"}).status_code == 401
    assert httpx.get(f"{proxy.url}/-/healthz").status_code == 200  # for load balancers
    user = make_proxy(auth="ci:pw")
    assert httpx.get(f"{user.url}/simple/cgsafe/", auth=("ci", "pw")).status_code == 200
    assert httpx.get(f"{user.url}/simple/cgsafe/", auth=("other", "pw")).status_code == 401


def test_decisions_health_and_metrics(proxy: Served) -> None:
    httpx.get(f"{proxy.url}/simple/cgsafe/")
    httpx.get(f"{proxy.url}/simple/cgsafe/")
    why = httpx.get(f"{proxy.url}/-/decisions", params={"project": "CGEvil"}).json()
    versions = {v["version"]: v for v in why["versions"]}
    assert versions["1.0"]["offered"] is True
    assert versions["2.0"]["offered"] is False
    assert versions["2.0"]["state"] == "blocked"
    assert "known-malicious" in versions["2.0"]["signals"]
    assert httpx.get(f"{proxy.url}/-/decisions").status_code == 400
    assert httpx.get(f"{proxy.url}/-/healthz").text == "ok\n"
    metrics = httpx.get(f"{proxy.url}/-/metrics").text
    assert 'chaingate_proxy_requests_total{route="page",status="200"} 2' in metrics
    assert "chaingate_proxy_decision_hits_total 1" in metrics
    assert "chaingate_proxy_versions_left_out_total 1" in metrics


def test_verdicts_are_kept_in_the_store_across_restarts(
    make_proxy: Callable[..., Served], tmp_path: Path
) -> None:
    db = f"sqlite:///{tmp_path / 'store.db'}"
    first = make_proxy(db=db)
    assert httpx.get(f"{first.url}/simple/cgevil/").status_code == 200
    assert "chaingate_proxy_decision_misses_total 1" in httpx.get(f"{first.url}/-/metrics").text
    second = make_proxy(db=db)  # a new process would start like this: nothing in memory
    page = httpx.get(f"{second.url}/simple/cgevil/")
    assert "cgevil-1.0" in page.text and "cgevil-2.0" not in page.text
    metrics = httpx.get(f"{second.url}/-/metrics").text
    assert "chaingate_proxy_decision_misses_total 0" in metrics
    assert "chaingate_proxy_decision_hits_total 1" in metrics


def test_a_page_of_many_versions_asks_the_advisory_source_once(
    proxy: Served, upstream: PyPIServer, osv: OsvServer, tmp_path: Path
) -> None:
    from tests.proxy.world import OLD, publish

    built = tmp_path / "many"
    built.mkdir()
    publish(upstream, built, "cgmany", [(f"1.{i}", OLD) for i in range(20)])
    page = httpx.get(f"{proxy.url}/simple/cgmany/")
    assert page.text.count(">cgmany-1.") == 20
    assert osv.hits["/v1/querybatch"] == 1


def test_an_unknown_name_that_looks_like_a_popular_one_gets_a_hint(proxy: Served) -> None:
    got = httpx.get(f"{proxy.url}/simple/reqests/")
    assert got.status_code == 404
    assert "did you mean 'requests'?" in got.headers["x-chaingate-reason"]
    assert "did you mean" not in httpx.get(f"{proxy.url}/simple/zzz-unheard-of/").text


@pytest.mark.parametrize(
    ("project", "said"),
    [
        (
            "cgmal",
            "cgmal is known to be malicious: known-malicious: reported malicious (MAL-2099-0002",
        ),
        ("cgquarantined", "cgquarantined is quarantined by the index (PEP 792) (malware)"),
    ],
)
def test_a_malicious_or_quarantined_project_is_refused_whole(
    proxy: Served, project: str, said: str
) -> None:
    page = httpx.get(f"{proxy.url}/simple/{project}/", follow_redirects=True)
    assert page.status_code == 403
    assert said in page.text
    assert said in page.headers["x-chaingate-reason"]
