"""Integrations hear about deal changes: one signed delivery per interested webhook, sent
after commit, retried while the receiver fails, never sent twice."""

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from salesops.models import Webhook, WebhookDelivery
from salesops.services import webhook_send


@pytest.fixture
def receiver():
    """A local HTTP endpoint that records what it is sent and answers with `status`."""
    received = []

    class Handler(BaseHTTPRequestHandler):
        status = 204

        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.headers, body))  # header names are case-insensitive
            self.send_response(Handler.status)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook", received, Handler
    server.shutdown()


def test_a_won_deal_is_sent_signed_to_the_webhooks_that_want_it(
    org, make_deal, pipeline, receiver, django_capture_on_commit_callbacks
):
    url, received, _handler = receiver
    Webhook.objects.create(name="ERP", url=url, secret="s3cret", events=["opportunity.created"])
    Webhook.objects.create(name="BI", url=url, secret="other", events=["opportunity.won"])

    with django_capture_on_commit_callbacks(execute=True):
        deal = make_deal()

    assert len(received) == 1
    headers, body = received[0]
    expected = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert headers["X-SalesOps-Signature"] == f"sha256={expected}"
    payload = json.loads(body)
    assert payload["event"] == "opportunity.created"
    assert payload["opportunity"]["id"] == deal.pk
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("delivered", 1, 204)


def test_nothing_is_sent_when_the_change_rolls_back(org, make_deal, pipeline, receiver):
    url, received, _handler = receiver
    Webhook.objects.create(name="ERP", url=url, secret="s3cret")
    make_deal()  # the test's transaction never commits
    assert received == []


def test_a_failed_delivery_is_marked_and_a_delivered_one_is_not_sent_again(
    org, make_deal, receiver
):
    url, received, handler = receiver
    hook = Webhook.objects.create(name="ERP", url=url, secret="s3cret")
    delivery = WebhookDelivery.objects.create(
        webhook=hook, event="opportunity.changed", payload={"event": "opportunity.changed"}
    )
    handler.status = 500
    assert webhook_send(delivery_id=delivery.pk) is False
    delivery.refresh_from_db()
    assert (delivery.status, delivery.response_status) == ("failed", 500)
    handler.status = 200
    assert webhook_send(delivery_id=delivery.pk) is True
    assert webhook_send(delivery_id=delivery.pk) is True
    assert len(received) == 2
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 2)


def test_unknown_events_are_refused(db):
    from django.core.exceptions import ValidationError

    hook = Webhook(name="x", url="https://erp.example.com/hook", secret="s", events=["nope"])
    with pytest.raises(ValidationError):
        hook.full_clean()


def test_stage_moves_and_wins_map_to_their_events():
    from opportunities.receivers import webhook_event

    assert webhook_event(frozenset({"stage"}), "open") == "opportunity.stage_changed"
    assert webhook_event(frozenset({"stage", "status"}), "won") == "opportunity.won"
    assert webhook_event(frozenset({"status"}), "lost") == "opportunity.closed"
    assert webhook_event(frozenset({"amount"}), "open") == "opportunity.changed"
