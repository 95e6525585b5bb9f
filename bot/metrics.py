"""Prometheus metrics. One registry per app, so that tests can build several apps in one process."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest


class Metrics:
    """Counters and histograms the webhooks, workers and jobs update."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.received = Counter(
            "weigrid_messages_received_total", "Messages accepted", ["channel"], registry=r
        )
        self.duplicates = Counter(
            "weigrid_messages_duplicate_total", "Retried deliveries", ["channel"], registry=r
        )
        self.processed = Counter(
            "weigrid_messages_processed_total", "Messages dispatched", ["handler"], registry=r
        )
        self.webhook_latency = Histogram(
            "weigrid_webhook_store_seconds",
            "Time to commit an inbound message before the ack",
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
            registry=r,
        )
        self.tickets_opened = Counter(
            "weigrid_tickets_opened_total", "Tickets opened", ["category"], registry=r
        )
        self.outbox = Counter(
            "weigrid_outbox_results_total", "Outbox delivery outcomes", ["outcome"], registry=r
        )
        self.sla_breaches = Counter(
            "weigrid_sla_breaches_total", "SLA breaches escalated", ["kind"], registry=r
        )
        self.queue_depth = Gauge("weigrid_queue_depth", "Rows waiting", ["queue", "status"], registry=r)

    def message_received(self, *, channel: str, new: bool, seconds: float) -> None:
        (self.received if new else self.duplicates).labels(channel=channel).inc()
        self.webhook_latency.observe(seconds)

    def message_processed(self, *, handler: str) -> None:
        self.processed.labels(handler=handler).inc()

    def outbox_result(self, *, channel: str, outcome: str) -> None:
        self.outbox.labels(outcome=outcome).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
