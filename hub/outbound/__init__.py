"""Outbound encoding: what the rules decide to send, as Avro outbox messages (``emit``)."""
