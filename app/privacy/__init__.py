"""Tenant privacy: redaction, retention, erasure and usage (issue 11)."""
