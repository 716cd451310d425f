"""Fake model servers that speak the real OpenAI and Anthropic wire formats."""
