"""Where data and models come from: PyPI distributions, URLs, the Hub, local files."""
