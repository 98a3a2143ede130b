"""One typed client per downstream service: the only place in the bot that spells a service's paths and bodies."""
