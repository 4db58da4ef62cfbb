"""Every label source, one module per family; importing the package registers them all.

A module declares its family with `registry.register(Mitigation(...))`: how its methods are
named, how the config turns it on, what its label sets read, its gold cost, its builder and its
part in the claims. The order of the grid comes from each family's rank, not from import order.
"""

from labelrisk.labels.mitigations import (  # noqa: F401  (imported to register)
    baselines,
    calibrated,
    cleanlab,
    ensemble,
    entropy,
    learned,
    soft,
    vote,
)
from labelrisk.labels.mitigations.registry import (
    Context,
    Inputs,
    Mitigation,
    Naming,
    Switch,
    lookup,
    register,
    registered,
    unregister,
)
from labelrisk.labels.mitigations.source import GOLD, LLM, Source

__all__ = [
    "GOLD",
    "LLM",
    "Context",
    "Inputs",
    "Mitigation",
    "Naming",
    "Source",
    "Switch",
    "lookup",
    "register",
    "registered",
    "unregister",
]
