"""Metrics across seeds, per-item predictions and teacher diagnostics."""
