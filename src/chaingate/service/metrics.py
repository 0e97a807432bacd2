"""`/metrics`: Prometheus text, read from the database at scrape time (so every process
of a deployment answers the same): watched packages, poll lag, deliveries by status."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from chaingate.service.runtime import Runtime
from chaingate.service.watcher import UNJUDGED
from chaingate.store.service_tables import SvcAlert, SvcDelivery, SvcProject, SvcWatch


class _FromDatabase(Collector):
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def collect(self) -> Iterator[Metric]:
        now = datetime.now(UTC)
        with Session(self.rt.db) as s:
            watched = s.scalar(select(func.count(SvcWatch.id))) or 0
            oldest = s.scalar(select(func.min(SvcWatch.polled_at)))
            never = s.scalar(select(func.count(SvcWatch.id)).where(SvcWatch.polled_at.is_(None)))
            unjudged = SvcWatch.last_error.startswith(UNJUDGED, autoescape=True)
            errors = s.scalar(
                select(func.count(SvcWatch.id)).where(SvcWatch.last_error.is_not(None), ~unjudged)
            )
            osv_down = s.scalar(
                select(func.count(SvcWatch.id)).where(
                    unjudged, SvcWatch.last_error.contains("known advisories unavailable")
                )
            )
            domains_down = s.scalar(
                select(func.count(SvcWatch.id)).where(
                    unjudged, SvcWatch.last_error.contains("email domains unavailable")
                )
            )
            projects = s.scalar(select(func.count(SvcProject.id))) or 0
            alerts = s.scalar(select(func.count(SvcAlert.id))) or 0
            by_status = dict(
                s.execute(
                    select(SvcDelivery.status, func.count(SvcDelivery.id)).group_by(
                        SvcDelivery.status
                    )
                ).all()
            )
        yield GaugeMetricFamily("chaingate_watched_packages", "Packages watched", value=watched)
        yield GaugeMetricFamily("chaingate_projects", "Projects", value=projects)
        lag = 0.0
        if oldest is not None:
            oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=UTC)
            lag = max(0.0, (now - oldest).total_seconds() - self.rt.settings.poll_interval)
        yield GaugeMetricFamily(
            "chaingate_poll_lag_seconds",
            "How far the least recently polled package is behind its poll interval",
            value=lag,
        )
        yield GaugeMetricFamily(
            "chaingate_packages_never_polled", "Watched packages not polled yet", value=never or 0
        )
        yield GaugeMetricFamily(
            "chaingate_packages_poll_failing",
            "Watched packages whose last poll got no answer",
            value=errors or 0,
        )
        yield GaugeMetricFamily(
            "chaingate_packages_advisories_unavailable",
            "Watched packages whose pins the advisory source (OSV) did not answer for at the"
            " last poll",
            value=osv_down or 0,
        )
        yield GaugeMetricFamily(
            "chaingate_packages_domains_unavailable",
            "Watched packages whose maintainers' email domains DNS or RDAP could not be"
            " asked about at the last poll",
            value=domains_down or 0,
        )
        yield GaugeMetricFamily("chaingate_alerts", "Alerts raised", value=alerts)
        g = GaugeMetricFamily("chaingate_deliveries", "Webhook deliveries", labels=["status"])
        for status in ("pending", "delivered", "failed"):
            g.add_metric([status], by_status.get(status, 0))
        yield g


def registry(rt: Runtime) -> CollectorRegistry:
    reg = CollectorRegistry(auto_describe=False)
    reg.register(_FromDatabase(rt))
    return reg
