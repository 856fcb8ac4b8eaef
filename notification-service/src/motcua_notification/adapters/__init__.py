"""The outside world: the store, SMTP, the SMS gateway, webhook receivers, PDF, the broker."""
