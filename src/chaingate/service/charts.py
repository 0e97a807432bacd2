"""Server-side SVG for the dashboard (no JavaScript): a package's release timeline and a
project's exposure over time. Every text from outside is escaped."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from itertools import pairwise

from markupsafe import Markup, escape

from chaingate.core.facts import Release

DORMANT = timedelta(days=365)  # a gap this long between releases is drawn as dormancy


def _x(when: datetime, start: datetime, end: datetime, left: float, width: float) -> float:
    span = max((end - start).total_seconds(), 1.0)
    return left + width * (when - start).total_seconds() / span


def _open(cls: str, width: int, height: int, label: str) -> list[str]:
    return [
        f'<svg class="{cls}" xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{height}" role="img" aria-label="{label}">'
    ]


def _empty(out: list[str], text: str) -> Markup:
    return Markup("".join([*out, f'<text x="10" y="20">{text}</text></svg>']))


def release_timeline(
    releases: Sequence[Release], in_use: set[str], width: int = 900, height: int = 140
) -> Markup:
    """Releases as points over time (yanked ones hollow red, the version in use ringed),
    dormancy gaps over a year shaded, years marked."""
    dated = sorted(
        (r for r in releases if r.uploaded_at is not None),
        key=lambda r: r.uploaded_at or datetime.min.replace(tzinfo=UTC),
    )
    out = _open("timeline", width, height, "release timeline")
    if not dated:
        return _empty(out, "no dated releases")
    first, last = dated[0].uploaded_at, dated[-1].uploaded_at
    assert first is not None and last is not None
    start, end = first - timedelta(days=30), last + timedelta(days=30)
    left, span, axis = 20.0, width - 40.0, height / 2
    for a, b in pairwise(dated):
        assert a.uploaded_at is not None and b.uploaded_at is not None
        if b.uploaded_at - a.uploaded_at >= DORMANT:
            x1, x2 = (
                _x(a.uploaded_at, start, end, left, span),
                _x(b.uploaded_at, start, end, left, span),
            )
            days = (b.uploaded_at - a.uploaded_at).days
            out.append(
                f'<rect class="dormant" x="{x1:.1f}" y="{axis - 30}" width="{x2 - x1:.1f}" '
                f'height="60" fill="#fde68a" opacity="0.6"><title>dormant {days} days'
                "</title></rect>"
            )
    out.append(f'<line x1="{left}" y1="{axis}" x2="{left + span}" y2="{axis}" stroke="#555"/>')
    for year in range(start.year + 1, end.year + 1):
        x = _x(datetime(year, 1, 1, tzinfo=UTC), start, end, left, span)
        out.append(
            f'<line x1="{x:.1f}" y1="{axis + 34}" x2="{x:.1f}" y2="{axis + 40}" '
            f'stroke="#999"/><text x="{x:.1f}" y="{axis + 54}" font-size="10" '
            f'text-anchor="middle">{year}</text>'
        )
    for r in dated:
        assert r.uploaded_at is not None
        x = _x(r.uploaded_at, start, end, left, span)
        fill = "white" if r.yanked else "#2563eb"
        stroke = "#dc2626" if r.yanked else "#1e3a8a"
        label = escape(f"{r.version} {r.uploaded_at:%Y-%m-%d}{' yanked' if r.yanked else ''}")
        cls = "release in-use" if r.version in in_use else "release"
        out.append(
            f'<circle class="{cls}" cx="{x:.1f}" cy="{axis}" r="5" fill="{fill}" '
            f'stroke="{stroke}" stroke-width="2"><title>{label}</title></circle>'
        )
        if r.version in in_use:
            out.append(
                f'<circle cx="{x:.1f}" cy="{axis}" r="10" fill="none" stroke="#16a34a" '
                f'stroke-width="3"/><text x="{x:.1f}" y="{axis - 16}" font-size="11" '
                f'text-anchor="middle" fill="#166534">in use: {escape(r.version)}</text>'
            )
    out.append("</svg>")
    return Markup("".join(out))


def exposure(
    points: Sequence[tuple[datetime, int, int]], width: int = 900, height: int = 160
) -> Markup:
    """Principals (accounts trusted) and open findings per day, the last evaluation of
    each day, as two polylines."""
    by_day: dict[str, tuple[int, int]] = {}
    for when, principals, findings in sorted(points):
        by_day[f"{when:%Y-%m-%d}"] = (principals, findings)
    days = sorted(by_day)
    out = _open("exposure", width, height, "exposure over time")
    if not days:
        return _empty(out, "not evaluated yet")
    top = max(max(p, f) for p, f in by_day.values()) or 1
    left, span, base, tall = 40.0, width - 60.0, height - 25.0, height - 45.0
    step = span / max(len(days) - 1, 1)
    for series, color, name in ((0, "#2563eb", "principals"), (1, "#dc2626", "findings")):
        pts = " ".join(
            f"{left + i * step:.1f},{base - tall * by_day[d][series] / top:.1f}"
            for i, d in enumerate(days)
        )
        out.append(
            f'<polyline class="{name}" points="{pts}" fill="none" stroke="{color}" '
            f'stroke-width="2"/>'
        )
        for i, d in enumerate(days):
            y = base - tall * by_day[d][series] / top
            out.append(
                f'<circle cx="{left + i * step:.1f}" cy="{y:.1f}" r="3" fill="{color}">'
                f"<title>{d}: {by_day[d][series]} {name}</title></circle>"
            )
    out.append(
        f'<text x="{left}" y="{height - 5}" font-size="10">{days[0]}</text>'
        f'<text x="{left + span}" y="{height - 5}" font-size="10" text-anchor="end">'
        f'{days[-1]}</text><text x="5" y="15" font-size="10">max {top}</text>'
        '<text x="60" y="15" font-size="10" fill="#2563eb">principals</text>'
        '<text x="130" y="15" font-size="10" fill="#dc2626">findings</text></svg>'
    )
    return Markup("".join(out))
