"""Deliver an alert to the channels its route names, with retries, and never lose it.

Each channel is tried up to ``retry.attempts`` times (tenacity): after a 429 or 503 the wait is the
``Retry-After`` the server asked for, otherwise an exponential backoff with a little jitter. A
permanent error (e.g. HTTP 404, SMTP 550) is not retried. A delivery that still fails goes to the
outbox; :meth:`AlertDelivery.flush_outbox` sends the queued ones later (once each per flush by default,
and stops on a channel at its first failure, so a channel that is still down is not hammered).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from pipeline.alerts.channels import Channel, DeliveryError
from pipeline.alerts.model import Alert
from pipeline.alerts.outbox import OutboxEntry, OutboxStore, delivery_id
from pipeline.alerts.routing import AlertingConfig, RetryConfig, route

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    channel: str
    alert_id: str
    delivered: bool
    attempts: int
    error: str | None = None
    queued: bool = False


def retry_wait(retry: RetryConfig) -> Callable[[RetryCallState], float]:
    """Wait the server's ``Retry-After`` when it gave one, else back off exponentially."""
    backoff = wait_exponential_jitter(initial=retry.initial_backoff, max=retry.max_backoff,
                                      jitter=min(1.0, retry.initial_backoff))

    def wait(state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, DeliveryError) and error.retry_after is not None:
            return error.retry_after
        return backoff(state)

    return wait


def should_retry(retry: RetryConfig) -> Callable[[BaseException], bool]:
    """Retry what may succeed later, but not a ``Retry-After`` longer than we agree to wait (outbox instead)."""

    def decide(error: BaseException) -> bool:
        if not isinstance(error, DeliveryError) or not error.retryable:
            return False
        return error.retry_after is None or error.retry_after <= retry.max_retry_after

    return decide


async def send_with_retries(channel: Channel, alert: Alert, identity: str, retry: RetryConfig, attempts: int,
                            sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> int:
    """Send, retrying as configured; return the number of attempts made or raise the last :class:`DeliveryError`."""
    made = 0

    def note_retry(state: RetryCallState) -> None:
        log.warning("alert %s to %s: attempt %d failed (%s); retrying in %.1fs", alert.id, channel.name,
                    state.attempt_number, state.outcome.exception(), state.next_action.sleep)

    retrying = AsyncRetrying(stop=stop_after_attempt(attempts), wait=retry_wait(retry),
                             retry=retry_if_exception(should_retry(retry)), before_sleep=note_retry,
                             sleep=sleep, reraise=True)
    try:
        async for attempt in retrying:
            with attempt:
                made += 1
                await channel.send(alert, identity)
    except DeliveryError as error:
        error.attempts = made
        raise
    return made


class AlertDelivery:
    """Routes alerts to channels; failed deliveries are queued in ``outbox`` and sent by :meth:`flush_outbox`."""

    def __init__(self, config: AlertingConfig, channels: Mapping[str, Channel], outbox: OutboxStore,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self.config, self.channels, self.outbox = config, dict(channels), outbox
        self._sleep, self._clock = sleep, clock
        self._outbox_lock = asyncio.Lock()

    async def deliver(self, alert: Alert) -> list[DeliveryResult]:
        """Send ``alert`` to every channel of its route, in parallel; failures end in the outbox."""
        names = route(self.config, alert)
        results = list(await asyncio.gather(*(self._deliver_one(name, alert) for name in names)))
        failed = [result for result in results if not result.delivered]
        if failed:
            now = self._clock()
            async with self._outbox_lock:
                queue = self.outbox.load()
                for result in failed:
                    queue = queue.add(OutboxEntry(
                        id=delivery_id(result.channel, alert), channel=result.channel, alert=alert,
                        attempts=result.attempts, first_failed_at=now, last_failed_at=now,
                        last_error=result.error or "unknown error"))
                self.outbox.save(queue)
            results = [DeliveryResult(r.channel, r.alert_id, r.delivered, r.attempts, r.error, queued=not r.delivered)
                       for r in results]
        return results

    async def _deliver_one(self, name: str, alert: Alert, attempts: int | None = None) -> DeliveryResult:
        channel = self.channels.get(name)
        if channel is None:
            return DeliveryResult(name, alert.id, False, 0, f"channel {name} is not configured")
        try:
            made = await send_with_retries(channel, alert, delivery_id(name, alert), self.config.retry,
                                           attempts or self.config.retry.attempts, self._sleep)
        except DeliveryError as error:
            log.error("alert %s to %s failed after %d attempt(s): %s", alert.id, name, error.attempts, error)
            return DeliveryResult(name, alert.id, False, error.attempts, str(error))
        except Exception as error:  # a bug in a channel must not lose the alert: it is queued like a failure
            log.exception("alert %s to %s: unexpected error", alert.id, name)
            return DeliveryResult(name, alert.id, False, 1, f"unexpected {type(error).__name__}")
        log.info("alert %s delivered to %s (%d attempt%s)", alert.id, name, made, "" if made == 1 else "s")
        return DeliveryResult(name, alert.id, True, made)

    async def flush_outbox(self, attempts: int = 1) -> list[DeliveryResult]:
        """Try the queued deliveries again, oldest first. Delivered ones leave the outbox."""
        async with self._outbox_lock:
            queue = self.outbox.load()
            results, down = [], set()
            for entry in queue.entries:
                if entry.channel in down:
                    continue
                result = await self._deliver_one(entry.channel, entry.alert, attempts)
                results.append(result)
                if result.delivered:
                    queue = queue.without([entry.id])
                else:
                    down.add(entry.channel)
                    queue = queue.failed_again(entry.id, result.error or "unknown error", result.attempts, self._clock())
                self.outbox.save(queue)
            return results
