"""Where data and models are fetched from: PyPI distributions, URLs, the Hub, local files."""
