"""client_api: the one owner of the users table, so every service agrees on who a Discord member is."""

__version__ = "1.0.0"
