"""motcua notification-service."""
