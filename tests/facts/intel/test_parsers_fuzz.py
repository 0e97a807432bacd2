"""The RDAP parsers read documents from servers we do not control: any bytes give a value
or the parser's own error, never a crash."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from chaingate.facts.intel.rdap import MalformedDocument, parse_bootstrap, parse_domain

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)
# Nested deeper than Python recurses (issue 12, item 14): the parser's own error too.
_DEEP = st.just(b'{"services": ' + b"[" * 50_000 + b"]" * 50_000 + b"}")


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=500), _json.map(lambda v: json.dumps(v).encode()), _DEEP))
def test_bootstrap_parser_never_crashes(body: bytes) -> None:
    try:
        services = parse_bootstrap(body)
    except (MalformedDocument, ValueError):
        return
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in services.items())


_events = st.lists(
    st.fixed_dictionaries(
        {
            "eventAction": st.sampled_from(["registration", "expiration", "last changed", "x"]),
            "eventDate": st.one_of(st.text(max_size=30), st.just("2022-05-14T18:40:00Z")),
        }
    ),
    max_size=5,
)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=500),
        _json.map(lambda v: json.dumps(v).encode()),
        _DEEP,
        st.builds(
            lambda ev, status: json.dumps(
                {"objectClassName": "domain", "ldhName": "X.COM", "events": ev, "status": status}
            ).encode(),
            _events,
            st.lists(st.text(max_size=20), max_size=3),
        ),
    )
)
def test_domain_parser_never_crashes(body: bytes) -> None:
    try:
        record = parse_domain(body, "https://rdap.example/domain/x.com")
    except (MalformedDocument, ValueError):
        return
    assert record.registered
