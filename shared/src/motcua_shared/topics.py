"""Kafka topic names fixed by the public contract."""

from dataclasses import dataclass

DOSSIER_EVENTS = "dossier.events"
CATALOG_EVENTS = "catalog.events"
NOTIFICATION_EVENTS = "notification.events"


def dead_letter_topic(topic: str) -> str:
    """The topic where events of `topic` that could not be processed go, with the reason in headers."""
    return f"{topic}.dlq"


@dataclass(frozen=True)
class Topics:
    """The contract's topics, optionally prefixed so that test runs never see each other's data."""

    prefix: str = ""

    @property
    def dossier_events(self) -> str:
        return self.prefix + DOSSIER_EVENTS

    @property
    def catalog_events(self) -> str:
        return self.prefix + CATALOG_EVENTS

    @property
    def notification_events(self) -> str:
        return self.prefix + NOTIFICATION_EVENTS

    def all(self) -> list[str]:
        """Every topic with its dead-letter topic."""
        main = [self.dossier_events, self.catalog_events, self.notification_events]
        return main + [dead_letter_topic(t) for t in main]
