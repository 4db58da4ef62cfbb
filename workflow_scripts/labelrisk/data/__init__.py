"""Datasets: read from their origin, malformed rows dropped and counted, split reproducibly."""
