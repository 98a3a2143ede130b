"""Shared test infrastructure: PostgreSQL, service processes, fault-injection proxy, fixtures."""
