"""Label sources: which items a run sees and which labels (gold, teacher, mitigated) they carry."""
