"""Outbound webhooks per org: endpoints, Standard Webhooks signing, the dispatcher, the SSRF guard."""
