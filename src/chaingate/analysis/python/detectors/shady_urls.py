"""`shady-url`: webhooks, paste sites, raw public IPs, tunnel and OAST hosts, in the strings
of a parsed file or on the lines of one that does not parse."""

from __future__ import annotations

import ipaddress
import re

from chaingate.analysis.interface import CodeFinding
from chaingate.analysis.python.index import EXCERPT_CHARS, Context, code_lines
from chaingate.analysis.python.registry import SourceFile, text_detector, tree_detector
from chaingate.core.findings import Severity

_SHADY_URL = re.compile(
    r"discord(?:app)?\.com/api/webhooks|api\.telegram\.org/bot|pastebin\.com/raw"
    r"|[a-z0-9-]+\.ngrok(?:-free)?\.(?:io|app|dev)|\.oast\.(?:fun|me|pro|live|site|online)"
    r"|(?://|\.)(?:oastify\.com|burpcollaborator\.net|interact\.sh|webhook\.site|pipedream\.net)"
    # the shapes of Discord webhook and Telegram bot URLs, whatever host proxies them
    r"|/api/webhooks/\d{6,}/[\w-]+|/bot\d{6,}:[\w-]{20,}",
    re.IGNORECASE,
)
# Words every match of _SHADY_URL or _RAW_IP_URL contains, alternative by alternative.
_SHADY_WORDS = (
    "discord", "api.telegram.org/bot", "pastebin.com/raw", ".ngrok", ".oast.", "oastify.com",
    "burpcollaborator.net", "interact.sh", "webhook.site", "pipedream.net", "/api/webhooks/",
)  # fmt: skip
_SHADY_HINT = re.compile(
    "|".join(re.escape(w) for w in _SHADY_WORDS) + r"|/bot\d|https?://\d", re.IGNORECASE
)
_BOT_DIGIT = re.compile(r"/bot\d")
_URL_DIGIT = re.compile(r"://\d")
_RAW_IP_URL = re.compile(r"https?://(\d{1,3}(?:\.\d{1,3}){3})(?![\d.])", re.IGNORECASE)


@tree_detector(
    "shady-url", Severity.MEDIUM, "A webhook, paste site, tunnel or raw IP address in the code"
)
def shady_urls(ctx: Context) -> None:
    """Strings naming webhooks, paste sites, tunnels, OAST hosts or raw public IPs (high in
    a file that exfiltrates)."""
    exfil = any(f.id == "exfiltration" for f in ctx.findings)
    strings = [(n, text) for n, text in ctx.strings if len(text) <= 100_000]
    # One search over all the strings first: whatever matches inside one string also
    # matches in the joined text, and the separator is nothing the hints contain.
    if not _shady_hint("\n".join(text for _, text in strings)):
        return
    for node, text in strings:
        if not _shady_hint(text):
            continue
        hit = _SHADY_URL.search(text)
        why = hit.group(0) if hit else _public_ip_url(text)
        if not why:
            continue
        ctx.add(
            "shady-url",
            Severity.HIGH if exfil else Severity.MEDIUM,
            node,
            f"string refers to {why!r} (webhook, paste site, tunnel, OAST host or raw IP), a "
            "common drop point for stolen data or second-stage payloads: check why the "
            "package needs it",
        )


def _shady_hint(text: str) -> bool:
    """Does `text` contain a word that every match of _SHADY_URL or _RAW_IP_URL contains,
    under the same case folding? ASCII text folds like str.lower() and is searched
    case-sensitively, several times faster than with re.IGNORECASE."""
    if not text.isascii():
        return _SHADY_HINT.search(text) is not None
    low = text.lower()
    if any(word in low for word in _SHADY_WORDS):
        return True
    # the digits after /bot (Telegram) and :// (a raw IP): patterns with a literal prefix,
    # which the regex engine finds by fast search
    return _BOT_DIGIT.search(low) is not None or _URL_DIGIT.search(low) is not None


def _public_ip_url(text: str) -> str | None:
    for m in _RAW_IP_URL.finditer(text):
        try:
            ip = ipaddress.IPv4Address(m.group(1))
        except ValueError:
            continue
        if ip.is_loopback or ip.is_unspecified or ip.is_link_local or ip.is_multicast:
            continue
        if any(ip in ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12")):
            continue
        if ip in ipaddress.IPv4Network("192.168.0.0/16"):
            continue
        return m.group(0)
    return None


_TEXT_URL = re.compile(r"""["'](?:https?|wss?)://[^"'\s]{4,300}["']""")


@text_detector("shady-url", Severity.MEDIUM)
def shady_url_line(file: SourceFile) -> list[CodeFinding]:
    """Quoted shady URLs on the lines of a file without a syntax tree (medium)."""
    out: list[CodeFinding] = []
    for number, line in code_lines(file.text):
        for m in _TEXT_URL.finditer(line):
            url = m.group(0)[1:-1]
            if _shady_hint(url) and (hit := _SHADY_URL.search(url) or _public_ip_url(url)):
                why = hit if isinstance(hit, str) else hit.group(0)
                out.append(
                    CodeFinding(
                        "shady-url",
                        Severity.MEDIUM,
                        file.path,
                        number,
                        f"string refers to {why!r} (webhook, paste site, tunnel, OAST host or "
                        "raw IP), in a file this Python cannot parse: check why it is there",
                        line.strip()[:EXCERPT_CHARS],
                    )
                )
    return out
