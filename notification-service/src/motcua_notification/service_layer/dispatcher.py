"""Sending what the notifier recorded, driven entirely by the store so that a restart carries on:

- a delivery is sent when its due time has come, by whoever wins the claim of its next attempt;
- a transient failure sets the next due time by exponential backoff (capped), until `max_attempts`;
- a permanent failure, or the last attempt failing, marks it failed;
- every outcome (sent, delivered, failed) is kept in an outbox and published on notification.events;
- an SMS that waited (quiet hours, a retry) and that a later event of its dossier made untrue in the
  meantime (domain/supersession.py) is not sent: it is marked superseded, with that event as the reason.

If the process dies mid-send nobody knows whether the message left. We choose AT MOST ONCE: a
delivery found `sending` for longer than the lease (well over the send time-out) is marked `unknown`
and never sent again; officers see it in the history and a `notification.failed` says so."""

import asyncio
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from motcua_shared import events as ev
from motcua_shared.events import NotificationChannel
from motcua_shared.observability import metrics

from ..domain.delivery import Status
from ..domain.policy import Backoff, QuietHours
from ..domain.supersession import superseded_by
from .ports import (
    Attachment,
    EmailSender,
    Letters,
    OutcomePublisher,
    Queue,
    SendError,
    SmsSender,
    Subscriptions,
    WebhookSender,
    ZaloSender,
)

log = logging.getLogger(__name__)


def _wall_clock() -> datetime:
    # Claims, leases and the outbox are stamped by the store in real time; due times follow `now`,
    # the business clock that tests may move.
    return datetime.now(UTC)


class Dispatcher:
    def __init__(
        self,
        *,
        deliveries: Queue,
        letters: Letters,
        subscriptions: Subscriptions,
        email: EmailSender,
        sms: SmsSender,
        webhooks: WebhookSender,
        publisher: OutcomePublisher,
        backoff: Backoff,
        quiet_hours: QuietHours,
        send_timeout: timedelta,
        lease: timedelta,
        source: str,
        now: Callable[[], datetime],
        concurrency: int = 8,
        outbox_grace: timedelta = timedelta(seconds=5),
        zalo: ZaloSender | None = None,
    ) -> None:
        self.deliveries = deliveries
        self._letters = letters
        self._subscriptions = subscriptions
        self._email, self._sms, self._webhooks = email, sms, webhooks
        self._zalo = zalo  # None: Zalo is not configured
        self._publisher = publisher
        self._backoff = backoff
        self._quiet_hours = quiet_hours
        self._send_timeout = send_timeout
        self._lease = lease
        self._source = source
        self._now = now
        self._slots = asyncio.Semaphore(concurrency)
        self._outbox_grace = outbox_grace
        # Set on a graceful stop: sends under way finish, no new one starts (so none is left "unknown").
        self.stopping = asyncio.Event()

    async def run_once(self) -> int:
        """Recover what a dead sender left, send every due delivery, publish pending outcomes.
        The number of attempts made."""
        await self.recover()
        due = await self.deliveries.due(self._now())
        attempted = await asyncio.gather(*(self._bounded(doc) for doc in due))
        await self.publish_outbox()
        return sum(attempted)

    async def _bounded(self, doc: dict[str, Any]) -> bool:
        async with self._slots:
            return await self.attempt(doc)

    async def attempt(self, doc: dict[str, Any]) -> bool:
        """One send of `doc`, if this caller wins its claim; True if it did."""
        if self.stopping.is_set() or await self.deliveries.claim_attempt(doc) is None:
            return False
        if doc["channel"] in _JUDGED_AGAIN and _waited(doc) and await self._superseded(doc):
            return False
        number = len(doc.get("attempts", [])) + 1
        started = self._now()
        error: SendError | None = None
        provider_id: str | None = None
        try:
            async with asyncio.timeout(self._send_timeout.total_seconds()):
                provider_id = await self._send(doc)
        except SendError as exc:
            error = exc
        except TimeoutError:
            error = SendError(f"no answer within {self._send_timeout.total_seconds():g} s", permanent=False)
        except Exception as exc:  # a bug or an odd library error must not stop the loop: retry it
            log.exception("sending %s failed unexpectedly", doc["_id"])
            error = SendError(f"unexpected error: {exc!r}", permanent=False)

        attempt: dict[str, Any] = {"number": number, "started_at": started, "finished_at": self._now()}
        if error is None:
            status = Status.DELIVERED if doc["channel"] in _DELIVERED_ON_SUCCESS else Status.SENT
            attempt["outcome"] = status.value
            if provider_id:
                attempt["provider_message_id"] = provider_id  # Zalo's msg_id
            await self.deliveries.record_attempt(doc["_id"], attempt, status)
            metrics.record_notification_sent(doc["channel"])
            outcome_class = ev.NotificationDelivered if status == Status.DELIVERED else ev.NotificationSent
            await self._emit(
                outcome_class(occurred_at=self._now(), source=self._source, data=self._outcome_data(doc, number))
            )
            return True

        final = error.permanent or self._backoff.gives_up_after(number)
        attempt |= {"outcome": "failed", "error": error.reason, "permanent": error.permanent}
        if final:
            await self.deliveries.record_attempt(doc["_id"], attempt, Status.FAILED)
            metrics.record_notification_failed(doc["channel"], "permanent" if error.permanent else "gave_up")
        else:
            retry_at = self._now() + self._backoff.delay_after(number)
            if doc["channel"] == NotificationChannel.SMS.value:
                retry_at = self._quiet_hours.next_allowed(retry_at)
            attempt["retry_at"] = retry_at
            await self.deliveries.record_attempt(doc["_id"], attempt, Status.PENDING, due_at=retry_at)
        log.warning(
            "%s to %s via %s failed (attempt %d, %s): %s",
            doc["template"],
            doc["recipient"],
            doc["channel"],
            number,
            "final" if final else "will retry",
            error.reason,
            extra={"notification_id": doc["_id"]},
        )
        await self._emit(
            ev.NotificationFailed(
                occurred_at=self._now(),
                source=self._source,
                data=ev.NotificationFailedData(
                    **self._outcome_fields(doc, number), reason=error.reason[:1000], permanent=final
                ),
            )
        )
        return True

    async def _superseded(self, doc: dict[str, Any]) -> bool:
        """True (and the delivery marked so) when a later event made `doc` untrue. Decided by the
        claim's winner, just before sending, so that what waited for hours is judged as it goes."""
        since = doc.get("cause_occurred_at")
        types = superseded_by(doc["event_type"])
        if since is None or not types:
            return False
        later = await self.deliveries.first_event_since(
            doc["dossier_id"], since, types, other_than=doc["cause_event_id"]
        )
        if later is None:
            return False
        await self.deliveries.record_superseded(doc["_id"], later)
        log.info(
            "%s to %s not sent: %s (%s) made it untrue",
            doc["template"],
            doc["recipient"],
            later["event_type"],
            later["_id"],
            extra={"notification_id": doc["_id"]},
        )
        return True

    async def _send(self, doc: dict[str, Any]) -> str | None:
        """Send `doc` on its channel; the provider's message id when it gives one (Zalo)."""
        channel = NotificationChannel(doc["channel"])
        if channel == NotificationChannel.EMAIL:
            attachments = []
            if doc.get("letter_id"):
                letter = await self._letters.get(doc["letter_id"])
                if letter is None:
                    raise SendError(f"apology letter {doc['letter_id']} is not stored yet", permanent=False)
                attachments.append(Attachment(f"phieu-xin-loi-{letter['dossier_code']}.pdf", letter["pdf"]))
            await self._email.send_email(
                message_id=doc["_id"],
                to=doc["recipient"],
                subject=doc["subject"] or "",
                body=doc["body"],
                attachments=attachments,
            )
        elif channel == NotificationChannel.SMS:
            await self._sms.send_sms(reference=doc["_id"], to=doc["recipient"], text=doc["body"])
        elif channel == NotificationChannel.ZALO:
            if self._zalo is None:
                raise SendError("Zalo is no longer configured (MOTCUA_NOTIFICATION_ZALO_ACCESS_TOKEN)", permanent=True)
            message = json.loads(doc["body"])
            return await self._zalo.send_template(
                reference=doc["_id"],
                phone=doc["recipient"],
                template_id=message["template_id"],
                template_data=message["template_data"],
            )
        else:
            subscription = await self._subscriptions.get(doc["subscription_id"])
            if subscription is None:
                raise SendError("the webhook subscription was deleted", permanent=True)
            await self._webhooks.post(
                reference=doc["_id"],
                url=subscription["url"],
                body=doc["body"].encode(),
                secret=subscription["secret"],
                event_type=doc["event_type"],
            )
        return None

    async def recover(self) -> None:
        """Deliveries left `sending` by a dead sender become `unknown` (at most once); claims won by a
        sender that died before sending are released."""
        before = _wall_clock() - self._lease
        for doc in await self.deliveries.sending_since_before(before):
            number = len(doc.get("attempts", [])) + 1
            reason = "the sender stopped during this attempt; not sent again, so it may or may not have arrived"
            await self.deliveries.record_attempt(
                doc["_id"],
                {
                    "number": number,
                    "started_at": doc.get("sending_since"),
                    "finished_at": self._now(),
                    "outcome": Status.UNKNOWN.value,
                    "error": reason,
                    "permanent": True,
                },
                Status.UNKNOWN,
            )
            metrics.record_notification_failed(doc["channel"], "outcome_unknown")
            log.error(
                "%s to %s: outcome unknown (%s)",
                doc["template"],
                doc["recipient"],
                reason,
                extra={"notification_id": doc["_id"]},
            )
            await self._emit(
                ev.NotificationFailed(
                    occurred_at=self._now(),
                    source=self._source,
                    data=ev.NotificationFailedData(**self._outcome_fields(doc, number), reason=reason, permanent=True),
                )
            )
        await self.deliveries.release_dead_claims(before)

    def _outcome_fields(self, doc: dict[str, Any], number: int) -> dict[str, Any]:
        return {
            "notification_id": doc["_id"],
            "channel": NotificationChannel(doc["channel"]),
            "template": doc["template"],
            "cause_event_id": doc["cause_event_id"],
            "dossier_code": doc.get("dossier_code"),
            "attempt": number,
        }

    def _outcome_data(self, doc: dict[str, Any], number: int) -> ev.NotificationOutcome:
        return ev.NotificationOutcome(**self._outcome_fields(doc, number))

    async def _emit(self, event: ev.NotificationSent | ev.NotificationDelivered | ev.NotificationFailed) -> None:
        key = event.data.notification_id
        await self.deliveries.add_outcome(str(event.event_id), key, event.to_bytes())
        try:
            await self._publisher.publish(key=key, value=event.to_bytes())
        except Exception as exc:
            log.warning("outcome %s not published yet (%r); the outbox will retry", event.event_type, exc)
            return
        await self.deliveries.mark_published(str(event.event_id))

    async def publish_outbox(self) -> None:
        """Outcomes a broker outage held back (older than the grace, so not ones being published now)."""
        for doc in await self.deliveries.unpublished(_wall_clock() - self._outbox_grace):
            try:
                await self._publisher.publish(key=doc["key"], value=bytes(doc["value"]))
            except Exception as exc:
                log.warning("outbox: still cannot publish (%r)", exc)
                return
            await self.deliveries.mark_published(doc["_id"])


# Zalo answers success only for an account that exists and may receive ZNS (it refuses the others at
# once, -118/-119): taken as delivered, like a webhook's 2xx (its later receipt webhook is not read).
# An SMTP server or an SMS gateway only took the message (sent).
_DELIVERED_ON_SUCCESS = frozenset({NotificationChannel.WEBHOOK.value, NotificationChannel.ZALO.value})
# Short messages that may wait (quiet hours, retries) and must tell only what is still true when they go.
_JUDGED_AGAIN = frozenset({NotificationChannel.SMS.value, NotificationChannel.ZALO.value})


def _waited(doc: dict[str, Any]) -> bool:
    """Due later than decided: held for the end of quiet hours, or for a retry. Only such a message is
    judged again when it goes; one sent at once tells the moment it was decided, in order with the next."""
    return bool(doc["due_at"] > doc["created_at"])


async def run_dispatcher(dispatcher: Dispatcher, wake: asyncio.Event, *, interval: float) -> None:
    """The scheduler loop: a pass every `interval` seconds, or at once when the notifier wakes it,
    until `dispatcher.stopping` is set."""
    while not dispatcher.stopping.is_set():
        wake.clear()
        try:
            await dispatcher.run_once()
        except Exception:
            log.exception("dispatcher pass failed; trying again in %.1f s", interval)
        if dispatcher.stopping.is_set():
            break
        try:
            await asyncio.wait_for(wake.wait(), timeout=interval)
        except TimeoutError:
            pass


async def stop_dispatcher(
    dispatcher: Dispatcher, running: "asyncio.Task[None]", wake: asyncio.Event, *, grace: float
) -> None:
    """Let sends under way finish (up to `grace` seconds), then stop the loop."""
    dispatcher.stopping.set()
    wake.set()
    try:
        await asyncio.wait_for(running, timeout=grace)
    except (TimeoutError, asyncio.CancelledError):
        log.warning("the dispatcher did not stop within %.0f s; sends cut off will be marked unknown", grace)
