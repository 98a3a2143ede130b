"""genai_api: text generation for the bot, through an OpenAI-compatible server or Google Gemini."""

__version__ = "1.0.0"
