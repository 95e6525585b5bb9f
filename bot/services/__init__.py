"""Domain services: keyword-only functions that take a session and never commit it."""
