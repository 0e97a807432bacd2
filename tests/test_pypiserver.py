"""The local PyPI behaves like a real index: documents, simple pages, caching, faults."""

from __future__ import annotations

import gzip
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest

from tests.pypiserver import (
    PEP691_JSON,
    BadJSON,
    Delay,
    Disconnect,
    NotFound,
    PyPIServer,
    Status,
    Truncated,
    recorded_documents,
    replay_documents,
)

FIXTURES = Path(__file__).parent / "fixtures"


def get(server: PyPIServer, path: str, **headers: str) -> httpx.Response:
    return httpx.get(server.url + path, headers=headers, timeout=5)


# --- serving -------------------------------------------------------------------------------


def test_serves_the_recorded_document_byte_for_byte(pypi_server: PyPIServer) -> None:
    response = get(pypi_server, "/pypi/requests/json")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.content == recorded_documents()["requests"]
    assert response.headers["x-pypi-last-serial"] == str(response.json()["last_serial"])


def test_project_names_are_normalised(pypi_server: PyPIServer) -> None:
    response = get(pypi_server, "/pypi/Six/json")

    assert response.status_code == 200
    assert response.json()["info"]["name"] == "six"


def test_unknown_project_is_404_with_empty_body(pypi_server: PyPIServer) -> None:
    for path in ("/pypi/no-such-project/json", "/simple/no-such-project/", "/files/x.whl"):
        response = get(pypi_server, path)
        assert (response.status_code, response.content) == (404, b""), path


def test_pypi_server_serves_ctx_from_the_replay(pypi_server: PyPIServer) -> None:
    doc = get(pypi_server, "/pypi/ctx/json").json()

    assert doc["ownership"]["roles"] == [{"role": "Owner", "user": "figlief"}]
    assert "0.2.6" in doc["releases"]


def test_replay_server_shows_the_malicious_releases(replay_server: PyPIServer) -> None:
    assert get(replay_server, "/pypi/exotel/json").json()["info"]["version"] == "0.1.6"
    assert get(replay_server, "/pypi/num2words/json").json()["info"]["version"] == "0.5.16"


def test_add_project_and_gzip_encoding() -> None:
    with PyPIServer() as server:
        server.add_project("Demo_Pkg", b'{"info": {"name": "demo-pkg"}, "releases": {}}')
        raw = httpx.get(server.url + "/pypi/demo-pkg/json", headers={"Accept-Encoding": "gzip"})
        # httpx decodes transparently; look at the wire format through the raw stream
        with httpx.stream(
            "GET", server.url + "/pypi/demo-pkg/json", headers={"Accept-Encoding": "gzip"}
        ) as streamed:
            wire = b"".join(streamed.iter_raw())

    assert raw.headers["content-encoding"] == "gzip"
    assert raw.json()["info"]["name"] == "demo-pkg"
    assert gzip.decompress(wire) == b'{"info": {"name": "demo-pkg"}, "releases": {}}'


def test_identity_encoding_when_gzip_is_not_accepted(pypi_server: PyPIServer) -> None:
    response = get(pypi_server, "/pypi/six/json", **{"Accept-Encoding": "identity"})

    assert "content-encoding" not in response.headers
    assert int(response.headers["content-length"]) == len(recorded_documents()["six"])


# --- simple pages --------------------------------------------------------------------------


def test_simple_html_links_are_relative_and_resolve_to_served_files(
    pypi_server: PyPIServer,
) -> None:
    page_url = pypi_server.url + "/simple/six/"
    page = httpx.get(page_url).text
    href = page.split('href="', 2)[1].split('"', 1)[0]
    assert href.startswith("../../files/six-")
    filename = href.removeprefix("../../files/").split("#", 1)[0]
    pypi_server.add_file(filename, b"sdist bytes")

    file_url = urljoin(page_url, href)
    response = httpx.get(file_url)

    assert file_url.startswith(pypi_server.url + "/files/")
    assert (response.status_code, response.content) == (200, b"sdist bytes")
    assert "content-encoding" not in response.headers


def test_simple_html_carries_hashes_yanked_and_requires_python(
    pypi_server: PyPIServer,
) -> None:
    page = get(pypi_server, "/simple/requests/").text

    wheel = next(line for line in page.splitlines() if "requests-2.32.0-py3-none-any.whl" in line)
    assert "#sha256=f2c3881dddb70d056c5bd7600a4fae312b2a300e39be6a118d30b90bd27262b5" in wheel
    assert 'data-requires-python="&gt;=3.8"' in wheel
    assert 'data-yanked="Yanked due to conflicts with CVE-2024-35195 mitigation"' in wheel


def test_simple_json_when_the_client_asks_for_pep_691(pypi_server: PyPIServer) -> None:
    accept = f"{PEP691_JSON}, text/html;q=0.1"
    response = get(pypi_server, "/simple/requests/", Accept=accept)
    recorded = json.loads(
        gzip.decompress((FIXTURES / "simple/requests.pep691.json.gz").read_bytes())
    )

    assert response.headers["content-type"] == PEP691_JSON
    page = response.json()
    assert page["meta"]["api-version"] == "1.1"
    # Same files, hashes and yanked markers as pypi.org's own page; only the URLs differ.
    ours = {f["filename"]: (f["hashes"], f["yanked"]) for f in page["files"]}
    theirs = {f["filename"]: (f["hashes"], f["yanked"]) for f in recorded["files"]}
    assert ours == theirs
    assert all(f["url"].startswith("../../files/") for f in page["files"])


def test_simple_without_trailing_slash_redirects(pypi_server: PyPIServer) -> None:
    response = get(pypi_server, "/simple/six")

    assert response.status_code == 301
    assert response.headers["location"] == "/simple/six/"


def test_simple_root_lists_projects(pypi_server: PyPIServer) -> None:
    page = get(pypi_server, "/simple/", Accept=PEP691_JSON).json()

    assert {"name": "requests"} in page["projects"]


# --- caching -------------------------------------------------------------------------------


def test_etag_revalidation_answers_304_without_body(pypi_server: PyPIServer) -> None:
    first = get(pypi_server, "/pypi/idna/json")
    etag = first.headers["etag"]

    second = get(pypi_server, "/pypi/idna/json", **{"If-None-Match": etag})

    assert second.status_code == 304
    assert second.content == b""
    assert second.headers["etag"] == etag
    assert pypi_server.hits["/pypi/idna/json"] == 2
    assert pypi_server.requests[-1][2]["if-none-match"] == etag


def test_etag_of_gzip_and_identity_variants_validate_each_other(pypi_server: PyPIServer) -> None:
    gz = get(pypi_server, "/pypi/idna/json", **{"Accept-Encoding": "gzip"}).headers["etag"]
    response = get(
        pypi_server, "/pypi/idna/json", **{"Accept-Encoding": "identity", "If-None-Match": gz}
    )

    assert response.status_code == 304


def test_changed_document_gets_a_new_etag(pypi_server: PyPIServer) -> None:
    etag = get(pypi_server, "/pypi/six/json").headers["etag"]
    pypi_server.add_project("six", recorded_documents()["six"] + b" ")

    response = get(pypi_server, "/pypi/six/json", **{"If-None-Match": etag})

    assert response.status_code == 200
    assert response.headers["etag"] != etag


def test_if_modified_since(pypi_server: PyPIServer) -> None:
    last_modified = get(pypi_server, "/pypi/docopt/json").headers["last-modified"]
    # docopt's newest upload is 0.6.2's sdist, 2014-06-16T11:18:57Z
    assert last_modified == "Mon, 16 Jun 2014 11:18:57 GMT"

    same = get(pypi_server, "/pypi/docopt/json", **{"If-Modified-Since": last_modified})
    older = get(
        pypi_server, "/pypi/docopt/json", **{"If-Modified-Since": "Mon, 16 Jun 2014 11:18:56 GMT"}
    )

    assert same.status_code == 304
    assert older.status_code == 200


def test_a_changed_document_is_modified_since_its_last_modified(pypi_server: PyPIServer) -> None:
    # An owner change adds no upload, yet If-Modified-Since must not answer 304.
    last_modified = get(pypi_server, "/pypi/docopt/json").headers["last-modified"]
    doc = json.loads(recorded_documents()["docopt"])
    doc["ownership"]["roles"].append({"role": "Owner", "user": "newcomer"})
    pypi_server.add_project("docopt", json.dumps(doc).encode())

    response = get(pypi_server, "/pypi/docopt/json", **{"If-Modified-Since": last_modified})

    assert response.status_code == 200
    assert response.json()["ownership"]["roles"][-1]["user"] == "newcomer"


def test_last_modified_can_be_set() -> None:
    when = datetime(2022, 5, 14, 19, 18, 36, tzinfo=UTC)
    with PyPIServer() as server:
        server.add_project("ctx", replay_documents()["ctx"], last_modified=when)
        response = httpx.get(server.url + "/pypi/ctx/json")

    assert response.headers["last-modified"] == "Sat, 14 May 2022 19:18:36 GMT"


def test_without_validators_like_the_mirror(pypi_server: PyPIServer) -> None:
    etag = get(pypi_server, "/pypi/six/json").headers["etag"]
    pypi_server.validators = False

    response = get(pypi_server, "/pypi/six/json", **{"If-None-Match": etag})

    assert response.status_code == 200
    assert "etag" not in response.headers
    assert "last-modified" not in response.headers
    assert "cache-control" not in response.headers


def test_cache_control_max_age(pypi_server: PyPIServer) -> None:
    pypi_server.max_age = 900

    assert get(pypi_server, "/pypi/six/json").headers["cache-control"] == "max-age=900"


# --- faults --------------------------------------------------------------------------------


def test_scripted_statuses_then_normal_serving(pypi_server: PyPIServer) -> None:
    path = "/pypi/six/json"
    pypi_server.script(path, [Status(429, retry_after=1), Status(500)])

    first, second, third = (get(pypi_server, path) for _ in range(3))

    assert (first.status_code, first.headers["retry-after"]) == (429, "1")
    assert second.status_code == 500
    assert third.status_code == 200
    assert pypi_server.hits[path] == 3


def test_always_is_permanent_until_removed(pypi_server: PyPIServer) -> None:
    path = "/pypi/six/json"
    pypi_server.always(path, Status(503))

    assert [get(pypi_server, path).status_code for _ in range(3)] == [503, 503, 503]
    pypi_server.always(path, None)
    assert get(pypi_server, path).status_code == 200


def test_not_found_fault(pypi_server: PyPIServer) -> None:
    pypi_server.script("/pypi/six/json", [NotFound()])

    response = get(pypi_server, "/pypi/six/json")

    assert (response.status_code, response.content) == (404, b"")


def test_delay_makes_the_client_time_out(pypi_server: PyPIServer) -> None:
    pypi_server.script("/pypi/six/json", [Delay(2)])

    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(pypi_server.url + "/pypi/six/json", timeout=0.2)

    assert time.monotonic() - started < 1.5
    assert get(pypi_server, "/pypi/six/json").status_code == 200


def test_truncated_body_is_a_protocol_error(pypi_server: PyPIServer) -> None:
    pypi_server.script("/pypi/six/json", [Truncated()])

    with pytest.raises(httpx.RemoteProtocolError):
        get(pypi_server, "/pypi/six/json", **{"Accept-Encoding": "identity"})


def test_truncated_gzip_body_is_a_protocol_error(pypi_server: PyPIServer) -> None:
    pypi_server.script("/pypi/six/json", [Truncated()])

    with pytest.raises((httpx.RemoteProtocolError, httpx.DecodingError)):
        get(pypi_server, "/pypi/six/json", **{"Accept-Encoding": "gzip"})


@pytest.mark.parametrize("encoding", ["identity", "gzip"])
def test_bad_json_is_valid_http_with_half_a_document(
    pypi_server: PyPIServer, encoding: str
) -> None:
    pypi_server.script("/pypi/six/json", [BadJSON()])

    response = get(pypi_server, "/pypi/six/json", **{"Accept-Encoding": encoding})

    assert response.status_code == 200
    assert response.content == recorded_documents()["six"][: len(recorded_documents()["six"]) // 2]
    with pytest.raises(json.JSONDecodeError):
        response.json()


def test_disconnect_without_response(pypi_server: PyPIServer) -> None:
    pypi_server.script("/pypi/six/json", [Disconnect()])

    with pytest.raises(httpx.RemoteProtocolError):
        get(pypi_server, "/pypi/six/json")


def test_requests_log_and_clear(pypi_server: PyPIServer) -> None:
    with httpx.Client(base_url=pypi_server.url) as client:
        client.get("/pypi/six/json")
        client.head("/simple/six/")

    assert [(m, p) for m, p, _ in pypi_server.requests] == [
        ("GET", "/pypi/six/json"),
        ("HEAD", "/simple/six/"),
    ]
    pypi_server.clear_log()
    assert pypi_server.requests == []
    assert pypi_server.hits["/pypi/six/json"] == 0


def test_close_does_not_wait_for_a_delayed_handler() -> None:
    server = PyPIServer({"six": recorded_documents()["six"]}).start()
    server.always("/pypi/six/json", Delay(30))
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(server.url + "/pypi/six/json", timeout=0.2)

    started = time.monotonic()
    server.close()

    assert time.monotonic() - started < 2


# --- the fixtures themselves ---------------------------------------------------------------


def test_every_fixture_has_the_shape_of_a_pypi_json_document() -> None:
    keys = {"info", "releases", "urls", "vulnerabilities", "last_serial", "ownership"}
    for name, body in {**recorded_documents(), **replay_documents()}.items():
        doc = json.loads(body)
        assert set(doc) == keys, name
        for files in doc["releases"].values():
            for f in files:
                assert f["upload_time_iso_8601"].endswith("Z"), (name, f["filename"])
                assert set(f["digests"]) == {"blake2b_256", "md5", "sha256"}, name
