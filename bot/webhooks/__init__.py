"""Inbound endpoints: verify, decrypt, parse, store in the inbox, ack. Nothing slow happens here."""
