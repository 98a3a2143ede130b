"""discord.py extensions: the core commands and the economy plugins' command modules."""
