"""HTTP API: one router per domain; routes parse, call a service, and map errors to status codes."""
