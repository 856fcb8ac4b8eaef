"""Intake's I/O: MongoDB repositories and Kafka publishing."""
