"""Intake publishes with motcua_shared.publishing (a 2xx means the broker acknowledged, a 503 that the
events will not appear later; a counter dossier's events go out as one record batch)."""

from motcua_shared.publishing import BrokerUnavailable, EventPublisher, make_publishing_broker

__all__ = ["BrokerUnavailable", "EventPublisher", "make_publishing_broker"]
