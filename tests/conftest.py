"""Shared test configuration; the Aerospike fixtures come from aerorepo.pytest_plugin."""
