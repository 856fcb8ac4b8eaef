"""Intake's use cases: each decides the events a request leads to; `idempotent.run_once` publishes them."""
