"""Metrics, evaluation, teacher diagnostics, tables, figures, claims."""
