"""Gold budgets: how many labels a filter at alpha percent replaces with gold."""

import math


def gold_budget(n: int, alpha: float) -> int:
    """Items whose label is replaced at alpha percent of n (rounded up, so alpha > 0 costs >= 1)."""
    return math.ceil(n * alpha / 100.0)
