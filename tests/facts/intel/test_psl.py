"""Registrable domains: the name an attacker could buy, found with the bundled public suffix
list (no network)."""

from __future__ import annotations

import email.utils

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chaingate.facts.intel.psl import email_domain, registrable_domain


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("mail.google.com", "google.com"),
        ("google.com", "google.com"),
        ("Mail.Example.ORG.", "example.org"),  # case and the root dot do not matter
        ("lists.example.co.uk", "example.co.uk"),  # a two-label public suffix
        ("jdoe.github.io", "github.io"),  # private suffixes are not registries
        ("bücher.de", "xn--bcher-kva.de"),  # A-labels: what DNS and RDAP servers take
        ("xn--bcher-kva.de", "xn--bcher-kva.de"),
    ],
)
def test_registrable_domain(host: str, expected: str) -> None:
    assert registrable_domain(host) == expected


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "[::1]",
        "2001:db8::1",
        "com",  # a bare public suffix
        "co.uk",
        "localhost",  # under no public suffix
        "",
        "a..b.com",
        "exa_mple.com",
        "-bad.com",
        "spa ce.com",
        "x" * 64 + ".com",  # a label longer than 63
    ],
)
def test_no_registrable_domain(host: str) -> None:
    assert registrable_domain(host) is None


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("jane@mail.example.org", "example.org"),
        ("Jane Doe <jane@Example.COM>", "example.com"),
        ('"odd@local" <x@sub.example.net>', "example.net"),
        ("jane@[192.0.2.1]", None),
        ("no-at-sign.example.org", None),
        ("@example.org", None),
        ("jane@", None),
        ("jane@localhost", None),
    ],
)
def test_email_domain(address: str, expected: str | None) -> None:
    assert email_domain(address) == expected


def _as_rfc5322_says(address: str) -> str | None:
    """email_domain as it was before bare addresses skipped `email.utils`."""
    addr = email.utils.parseaddr(address)[1] or address.strip()
    local, at, domain = addr.rpartition("@")
    return registrable_domain(domain) if at and local and domain else None


@settings(max_examples=500, deadline=None)
@given(
    address=st.text(alphabet='ab.-+@ <>()[]",;:\\\tÜ', max_size=24)
    | st.emails().map(lambda a: a.upper())
)
def test_bare_addresses_skip_the_rfc5322_parser_without_changing_an_answer(
    address: str,
) -> None:
    assert email_domain(address) == _as_rfc5322_says(address)
