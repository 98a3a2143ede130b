"""The bot's core: manifests, registry, service clients, health, help, i18n, errors, embeds."""
