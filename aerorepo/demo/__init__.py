"""Runnable demonstrations of aerorepo on public data sets."""
