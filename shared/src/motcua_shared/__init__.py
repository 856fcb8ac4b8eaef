"""What every motcua service shares: event schemas, topics, settings, clients, auth and logging."""
