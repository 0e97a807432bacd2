"""Registrable domains (eTLD+1) from the public suffix list, and the domain of an email address.

The domain an attacker can buy is the registrable one: for `j.doe@mail.example.co.uk` that is
`example.co.uk`, so every lookup is made for it, once per run however many addresses share it.
Only the ICANN section of the list counts (a `github.io` subdomain is not sold by a registry).
The list is the snapshot bundled with tldextract: no network, so the answer does not depend on
where chaingate runs.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import tldextract

_LDH_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
# local@domain with none of RFC 5322's specials or spaces: parseaddr would return it as is.
_BARE_ADDRESS = re.compile(r'^[^\s<>()\[\]",;:\\@]+@[^\s<>()\[\]",;:\\@]+$')

# Answers already known (this run, or seeded from the cache by `seed`): a warm scan maps
# its addresses without loading the suffix list at all.
_known: dict[str, str | None] = {}


def seed(mapping: Mapping[str, str | None]) -> None:
    """Teach answers computed by an earlier run (host -> registrable domain)."""
    _known.update(mapping)


def known() -> dict[str, str | None]:
    """Every answer given or taught so far, to keep for the next run."""
    return dict(_known)


@cache
def _extractor() -> tldextract.TLDExtract:
    # Built on first use: loading the snapshot costs ~0.1 s, which a scan without email
    # addresses should not pay.
    import tldextract

    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def _ascii_host(host: str) -> str | None:
    """`host` lowercased, without a trailing dot, internationalised labels as A-labels
    (`xn--...`, what DNS and RDAP servers expect); None when it is not a valid host name."""
    host = host.strip().rstrip(".").lower()
    if not host or len(host) > 253:
        return None
    if not host.isascii():
        import idna

        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError):
            return None
    labels = host.split(".")
    if not all(_LDH_LABEL.match(label) for label in labels):
        return None
    return host


def registrable_domain(host: str) -> str | None:
    """The registrable domain of `host` (`mail.google.com` -> `google.com`), lowercase ASCII.

    None for IP addresses, bare public suffixes (`com`, `co.uk`), names under no known
    suffix (`localhost`) and invalid names.
    """
    key = host.strip().lower()
    if key in _known:
        return _known[key]
    answer = _registrable(host)
    _known[key] = answer
    return answer


def _registrable(host: str) -> str | None:
    candidate = host.strip().strip("[]")
    try:
        ipaddress.ip_address(candidate)
    except ValueError:
        pass
    else:
        return None
    ascii_host = _ascii_host(host)
    if ascii_host is None:
        return None
    return _extractor()(ascii_host).top_domain_under_public_suffix or None


def email_domain(address: str) -> str | None:
    """The registrable domain of an email address (`"Jane <j@mail.example.org>"` ->
    `example.org`); None when there is no usable domain."""
    addr = address.strip()
    if not _BARE_ADDRESS.match(addr):  # a name, comment or quoting around it: RFC 5322
        import email.utils  # (~30 M instructions to import; registry emails are bare)

        addr = email.utils.parseaddr(address)[1] or addr
    local, at, domain = addr.rpartition("@")
    if not at or not local or not domain:
        return None
    return registrable_domain(domain)
