"""motcua reporting-service."""
