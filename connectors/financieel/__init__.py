"""Financial system connector: bookings export and SEPA pain.001 out, camt.053 statements in."""
