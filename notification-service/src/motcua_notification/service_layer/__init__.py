"""Deciding what to send (notifier) and sending it, once, on time (dispatcher)."""
