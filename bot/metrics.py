"""Prometheus metrics. One registry per app, so that tests can build several apps in one process.

Two kinds of series:

* process counters and histograms updated as things happen (messages received, webhook store latency,
  outbox outcomes, messages dispatched);
* database-derived gauges refreshed on every scrape (:meth:`Metrics.refresh`): queue depths, outbox rows by
  status, tickets by category and status, open tickets past their SLA, SLA escalations so far. They come from
  the database, so they agree across processes and survive restarts.
"""

from __future__ import annotations

import logging

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.base import utcnow

logger = logging.getLogger(__name__)

#: Ticket event actions that mean an SLA was missed and the ticket escalated (督办).
ESCALATION_ACTIONS = ("escalate", "escalated", "sla_breach", "supervise")


class Metrics:
    """Counters and histograms the webhooks, workers and jobs update, and gauges refreshed from the database."""

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
            "weigrid_tickets_opened_total", "Tickets opened by this process", ["category"], registry=r
        )
        self.outbox = Counter(
            "weigrid_outbox_results_total",
            "Outbox delivery outcomes in this process",
            ["outcome"],
            registry=r,
        )
        self.sla_breaches = Counter(
            "weigrid_sla_breaches_total", "SLA breaches escalated by this process", ["kind"], registry=r
        )
        self.queue_depth = Gauge(
            "weigrid_queue_depth", "Rows by queue and status", ["queue", "status"], registry=r
        )
        self.tickets = Gauge(
            "weigrid_tickets",
            "Tickets in the database by category and status",
            ["category", "status"],
            registry=r,
        )
        self.tickets_overdue = Gauge(
            "weigrid_tickets_overdue", "Open tickets past their accept or resolve deadline", registry=r
        )
        self.sla_escalations = Gauge(
            "weigrid_sla_escalations", "SLA escalation (督办) events recorded so far", registry=r
        )
        self.scrape_errors = Counter(
            "weigrid_metrics_refresh_errors_total", "Failed database refreshes on scrape", registry=r
        )

    def message_received(self, *, channel: str, new: bool, seconds: float) -> None:
        (self.received if new else self.duplicates).labels(channel=channel).inc()
        self.webhook_latency.observe(seconds)

    def message_processed(self, *, handler: str) -> None:
        self.processed.labels(handler=handler).inc()

    def outbox_result(self, *, channel: str, outcome: str) -> None:
        self.outbox.labels(outcome=outcome).inc()

    def ticket_opened(self, *, category: str) -> None:
        self.tickets_opened.labels(category=category).inc()

    def sla_breach(self, *, kind: str) -> None:
        self.sla_breaches.labels(kind=kind).inc()

    async def refresh(self, session: AsyncSession) -> None:
        """Set the database-derived gauges (called on each scrape)."""
        from models.inbox import InboxMessage
        from models.outbox import OutboxMessage
        from models.ticket import OPEN_STATUSES, Ticket, TicketEvent

        self.queue_depth.clear()
        for queue, model in (("inbox", InboxMessage), ("outbox", OutboxMessage)):
            rows = await session.execute(select(model.status, func.count()).group_by(model.status))
            for status, n in rows.all():
                self.queue_depth.labels(queue=queue, status=status).set(n)
        self.tickets.clear()
        ticket_rows = await session.execute(
            select(Ticket.category, Ticket.status, func.count()).group_by(Ticket.category, Ticket.status)
        )
        for category, status, n in ticket_rows.all():
            self.tickets.labels(category=category, status=status).set(n)
        now = utcnow()
        overdue = await session.scalar(
            select(func.count())
            .select_from(Ticket)
            .where(Ticket.status.in_([s.value for s in OPEN_STATUSES]))
            .where(
                or_(
                    (Ticket.accepted_at.is_(None)) & (Ticket.accept_due_at < now),
                    (Ticket.resolved_at.is_(None)) & (Ticket.resolve_due_at < now),
                )
            )
        )
        self.tickets_overdue.set(int(overdue or 0))
        escalations = await session.scalar(
            select(func.count()).select_from(TicketEvent).where(TicketEvent.action.in_(ESCALATION_ACTIONS))
        )
        self.sla_escalations.set(int(escalations or 0))

    def render(self) -> bytes:
        return generate_latest(self.registry)
