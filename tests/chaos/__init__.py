"""A chaos suite of our own: mixed money traffic across the real services while they and PostgreSQL fail, then the
invariants the books must keep. stack.py starts and breaks the services, economy.py sends the traffic, record.py
keeps every answer, scenario.py runs the phases, test_chaos.py checks the invariants (docs/reliability.md)."""
