"""labelrisk: measure the risk of training encoder classifiers on LLM labels."""

__version__ = "0.1.0"
