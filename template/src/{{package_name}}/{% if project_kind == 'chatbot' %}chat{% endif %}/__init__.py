"""The chatbot: a streaming customer assistant with threads, guardrails and quotas."""
