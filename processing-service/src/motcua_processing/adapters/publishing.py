"""Publishing processing's events on `dossier.events`, keyed by dossier id, with motcua_shared.publishing
(an action answered 503 is never published later; see there why)."""

from motcua_shared.events import DossierEvent
from motcua_shared.publishing import BrokerUnavailable, make_publishing_broker
from motcua_shared.publishing import EventPublisher as SharedPublisher

__all__ = ["BrokerUnavailable", "EventPublisher", "make_publishing_broker"]


class EventPublisher:
    """Processing's publisher: one event at a time on one topic, under its dossier's key."""

    def __init__(self, publisher: SharedPublisher, topic: str) -> None:
        self._publisher = publisher
        self._topic = topic

    async def publish(self, event: DossierEvent) -> None:
        """Return once the broker acknowledged `event`; raise BrokerUnavailable otherwise."""
        await self._publisher.publish(self._topic, event.dossier_id, [event])
