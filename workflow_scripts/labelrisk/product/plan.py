"""The product's rows of the plan: the teacher over each unlabelled table (artefacts.plan
prices them as it prices the study's)."""

from __future__ import annotations

import pandas as pd

from labelrisk.artefacts.plan import PromptTokens, prompt_tokens, teacher_cost
from labelrisk.product.rules import members, teacher


def product_rows(
    config: dict, items: dict[str, pd.DataFrame], unlabelled: dict[str, pd.DataFrame]
) -> pd.DataFrame:
    """The product's teacher over each unlabelled table (`snakemake product`): member 0, or every
    member for a named `product.source` that reads them all. Rows already answered (journal,
    answer cache) are not asked again, so a re-run costs less than this."""
    plan, ann, cpt = config["plan"], config["annotation"], config["plan"]["chars_per_token"]
    name = teacher(config)
    source = config["product"]["source"]
    every = list(range(ann["members"]))
    chosen = members(source, every) if "/" in source else [0]
    gpu = config["compute"]["annotate"]["gpu"] > 0
    rows = []
    for dataset, df in unlabelled.items():
        entry = config["datasets"][dataset]
        toks = PromptTokens.total(
            [prompt_tokens(entry, ann, df, m, cpt, items[dataset]) for m in chosen]
        )
        row = {"teacher": name, "dataset": f"{dataset} (unlabelled)", "members": len(chosen)}
        row |= {"prompts": len(chosen) * len(df), "prompt_tokens": toks.sent}
        teacher_entry = config["teachers"][name]
        rows.append(
            row | teacher_cost(teacher_entry, row["prompts"], toks.sent, plan, gpu, toks.computed)
        )
    return pd.DataFrame(rows)
