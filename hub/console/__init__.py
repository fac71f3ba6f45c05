"""The operator console: web UI, JSON API, metrics and the operator CLI.

::

    config.py       ConsoleSettings (``HUB_CONSOLE_*``)
    models.py       console_user and console_session tables (migration 0002 creates them)
    auth.py         password hashing, users, sessions, roles
    masking.py      decoded records with personal data masked; audited unmasking
    kafka_views.py  topics, end offsets (Tansu-proof), consumer-group lag, tails
    sampler.py      periodic snapshot: rates, lag, liveness, connector health, dead letters
    metrics.py      Prometheus exposition of the latest snapshot
    web.py          aiohttp app: login, CSRF, roles; api.py holds the JSON handlers
    store_reads.py  read-only store queries: agent activity, latency
    dead_letter_view.py  dead letters (store): list, detail, re-drive/resolve/unseal routes
    originals.py    a dead letter's original decoded and masked (or unsealed for admins)
    redrive.py      re-drive per kind and resolve, from the store, audited
    tail.py         ``hub topics tail``
    cli.py          ``hub console``, ``hub users``, ``hub lag``, ``hub dlq``, ``hub topics tail``
    demo.py         ``ensure_demo_users`` for ``hub up --demo``
"""
