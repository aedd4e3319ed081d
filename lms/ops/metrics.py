"""Prometheus metrics: request latency per endpoint, kept by every app process, and the job
queues, read from Redis when /metrics is scraped.

Under gunicorn each worker process counts its own requests. With PROMETHEUS_MULTIPROC_DIR set
(deploy/hocso-web.service does it), prometheus-client keeps the counts in files there and a
scrape adds up every worker's; without it a scrape sees only the worker that answered."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

from flask import Flask, g, request
from flask.typing import ResponseReturnValue
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY, Collector

from lms.ops import readiness

REQUEST_SECONDS = Histogram(
    "lms_request_duration_seconds",
    "Time to answer a request, by endpoint and method.",
    ["endpoint", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
RESPONSES = Counter("lms_responses_total", "Responses, by endpoint, method and status code.", ["endpoint", "method", "status"])


def register_request_metrics(app: Flask) -> None:
    @app.before_request
    def start_timer() -> None:
        g.ops_started = time.perf_counter()

    @app.after_request
    def observe(response: ResponseReturnValue):
        started = g.pop("ops_started", None)
        # An unknown URL has no endpoint: one label for all of them keeps the series few.
        endpoint = request.endpoint or "none"
        if started is not None:
            REQUEST_SECONDS.labels(endpoint, request.method).observe(time.perf_counter() - started)
        RESPONSES.labels(endpoint, request.method, str(response.status_code)).inc()  # type: ignore[union-attr]
        return response


class QueueCollector(Collector):
    """Depth, oldest waiting job and failed jobs of every RQ queue, read at scrape time."""

    def __init__(self, redis_url: str | None) -> None:
        self.redis_url = redis_url

    def collect(self) -> Iterator[GaugeMetricFamily]:
        depth = GaugeMetricFamily("lms_queue_jobs", "Jobs waiting in an RQ queue.", labels=["queue"])
        oldest = GaugeMetricFamily("lms_queue_oldest_job_age_seconds", "Age of the oldest waiting job.", labels=["queue"])
        failed = GaugeMetricFamily(
            "lms_queue_failed_jobs",
            "Failed jobs kept in a queue's failed registry (certificate renders that failed).",
            labels=["queue"],
        )
        finished = GaugeMetricFamily(
            "lms_queue_finished_jobs", "Jobs finished recently (kept for their result time to live).", labels=["queue"]
        )
        up = GaugeMetricFamily("lms_redis_up", "1 when Redis answered this scrape, 0 when it did not, absent without Redis.")
        if self.redis_url:
            try:
                for state in readiness.queue_states(self.redis_url):
                    depth.add_metric([state.name], state.depth)
                    oldest.add_metric([state.name], state.oldest_age_seconds)
                    failed.add_metric([state.name], state.failed)
                    finished.add_metric([state.name], state.finished)
                up.add_metric([], 1)
            except readiness.REDIS_ERRORS:
                up.add_metric([], 0)
            yield up
        yield from (depth, oldest, failed, finished)


def exposition(redis_url: str | None) -> bytes:
    """The text a scrape gets: request metrics (of every worker when multiprocess) and queues."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_Default())
    registry.register(QueueCollector(redis_url))
    return generate_latest(registry)


class _Default(Collector):
    """This process's metrics (the default registry: requests, plus Python and process)."""

    def collect(self):
        yield from REGISTRY.collect()
