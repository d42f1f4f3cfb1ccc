"""Shared overlay runtime for every vendor: auth, retries, quotas, polling, downloads, typed errors."""
