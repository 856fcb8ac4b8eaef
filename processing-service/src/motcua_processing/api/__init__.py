"""Processing's HTTP API: officers' actions, a dossier's state and history, inboxes."""
