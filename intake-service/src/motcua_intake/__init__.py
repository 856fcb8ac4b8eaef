"""motcua intake-service."""
