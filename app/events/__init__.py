"""After-the-call events: the durable outbox (webhooks) and the live event stream per org (SSE)."""
