"""Every label source, one module per family; importing the package registers them all.

A module declares its family with `registry.register(Mitigation(...))`: its method pattern,
the members it reads, its gold cost, its name in the tables, the config keys that turn it on,
and its builder. The order of the grid comes from each family's `rank`, not from import order.
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
    Mitigation,
    lookup,
    register,
    registered,
    unregister,
)

__all__ = ["Context", "Mitigation", "lookup", "register", "registered", "unregister"]
