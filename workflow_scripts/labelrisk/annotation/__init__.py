"""Annotation jobs: the paper's prompt, resumable journals, one job's files."""
