"""Thin routes: parse, authorise, hand over to the service layer."""
