"""Intake's rules, free of I/O: dossier codes, phone handling, what may be submitted, status folding."""
