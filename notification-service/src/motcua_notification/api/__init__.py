"""The notification API: history for officers, templates, webhook subscriptions and agency contacts
for admins, apology letters for printing."""
