"""Pytest glue only: fixtures.py turns buteco_dev's PostgreSQL, processes and fault proxy into fixtures."""
