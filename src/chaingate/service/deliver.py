"""Webhook deliveries: the body (`chaingate/alert/v1`, or Slack's `text` form), its
HMAC-SHA256 signature, one attempt, and the retry schedule (doubling from `retry_base`
up to `retry_cap`, given up after `give_up_after`: 24 h by default)."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from chaingate.core.text import safe
from chaingate.service.runtime import Runtime
from chaingate.store.service_tables import SvcAlert, SvcDelivery, SvcWebhook

SIGNATURE_HEADER = "X-Chaingate-Signature"
IDEMPOTENCY_HEADER = "X-Chaingate-Idempotency-Key"


def signature(secret: str, body: bytes) -> str:
    """`sha256=<hex HMAC-SHA256 of body with secret>`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def body_of(alert: dict[str, Any], idempotency_key: str, fmt: str) -> bytes:
    if fmt == "slack":
        f = alert["finding"]
        text = (
            f":rotating_light: chaingate: *{safe(f.get('severity', ''))}* "
            f"`{safe(f.get('id', ''))}` in project *{safe(alert['project']['name'])}*"
            f" ({safe(str(f.get('package') or ''))} {safe(str(f.get('version') or ''))}): "
            f"{safe(f.get('message', ''))}"
        )
        doc: dict[str, Any] = {"text": text, "idempotency_key": idempotency_key}
    else:
        doc = {**alert, "idempotency_key": idempotency_key}
    return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()


def backoff(rt: Runtime, attempts: int) -> float:
    s = rt.settings
    return float(min(s.retry_base * 2 ** max(attempts - 1, 0), s.retry_cap))


def attempt(rt: Runtime, delivery_id: int) -> str:
    """One attempt at a pending delivery; its status after it."""
    from chaingate.net.http import FetchError

    with Session(rt.db) as s:
        d = s.get(SvcDelivery, delivery_id)
        if d is None or d.status != "pending":
            return "gone" if d is None else d.status
        hook = s.get(SvcWebhook, d.webhook_id)
        alert = s.get(SvcAlert, d.alert_id)
        if hook is None or alert is None:
            return "gone"
        body = body_of(alert.body, d.idempotency_key, hook.format)
        url, secret = hook.url, hook.secret
        key = d.idempotency_key
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: signature(secret, body),
        IDEMPOTENCY_HEADER: key,
    }
    error: str | None = None
    try:
        status, _ = rt.deliveries.run(rt.delivery_client.send("POST", url, body, headers))
        if not 200 <= status < 300:
            error = f"HTTP {status}"
    except FetchError as exc:
        error = str(exc)
    now = datetime.now(UTC)
    with Session(rt.db) as s, s.begin():
        d = s.get(SvcDelivery, delivery_id)
        if d is None:
            return "gone"
        d.attempts += 1
        if error is None:
            d.status, d.delivered_at, d.last_error = "delivered", now, None
        else:
            d.last_error = error[:1000]
            retry_at = now + timedelta(seconds=backoff(rt, d.attempts))
            give_up = d.give_up_at if d.give_up_at.tzinfo else d.give_up_at.replace(tzinfo=UTC)
            if retry_at > give_up:
                d.status = "failed"
            else:
                d.next_attempt_at = retry_at
        return d.status
