"""The connector kit: the plumbing every partner connector shares, so each exists once.

==================  =====================================================================
``retry``           one retry policy: growing delays, a cap, jitter; transient vs permanent
``health``          what a connector reports: per-part success and failure, restarts
``supervisor``      runs connectors side by side; restarts a crashed one, reports at once
``loop``            the poll loop (interval, wake-up, backoff after failures)
``consumer``        one consumer factory for outbound connectors (commit after handling)
``http``            the HTTP client: configured origin only, timeouts, capped answers
``blocking``        the same origin, redirect and size rules for ``requests`` (zeep, DUO)
``server``          webhook bodies read to EOF or limit + 1; serving an aiohttp app
``jsonread``        JSON with typed refusals (size, depth, not JSON)
``fields``          typed reads of partner answers, errors naming the field
``folder``          drop folders: stable-file rules, archive, quarantine, outbox
``inbox``           taking stable files from drop folders the same way for every connector
``ledger``          an append-only record of what a connector wrote (survives restarts)
``deadletter``      the single builder and sink of edge dead letters
``cursor``          the ``CursorStore`` port for pull cursors, and the paging check
``config``          the host's ``HUB_CONNECTOR_*`` settings (restarts, reporting, retries)
==================  =====================================================================

A partner folder holds only that partner's contract and imports nothing from another partner's
folder (``tests/unit/test_connector_imports.py``).
"""
