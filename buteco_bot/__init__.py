"""Buteco's Discord bot: a small core that loads every service's commands from plugin manifests."""
