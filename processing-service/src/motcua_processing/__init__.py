"""motcua processing-service."""
