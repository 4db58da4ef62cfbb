"""Teacher LLM backends (transformers, vLLM, OpenAI-compatible servers) and their registry."""
