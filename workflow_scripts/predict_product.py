"""New texts labelled by a dataset's product (labelrisk.predict)."""

from labelrisk.logs import to_log

to_log(snakemake.log[0])

from labelrisk.predict import label_table, read_texts, write_table

p = snakemake.params
table = read_texts(snakemake.input.table, p.text_column)
out = label_table(
    snakemake.input.model, table, p.text_column, batch_size=p.batch_size, device=p.device
)
write_table(out, snakemake.output[0])
