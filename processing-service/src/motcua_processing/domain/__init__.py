"""Processing's rules, free of I/O: the dossier folded from its events, deadlines, the clock's duties."""
