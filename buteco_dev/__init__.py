"""Developer tooling: `python -m buteco_dev run` (what `make run` calls) starts the whole stack locally."""
