"""Client side of the sync protocol: wire models, HTTP client, outbox and engine (no Qt)."""
