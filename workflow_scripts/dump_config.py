from labelrisk.logs import to_log

to_log(snakemake.log[0])

import yaml

# The validated config with every default filled in: what this run actually used.
with open(snakemake.output[0], "w") as f:
    yaml.safe_dump(snakemake.params.config, f, sort_keys=False)
