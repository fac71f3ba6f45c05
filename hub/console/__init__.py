"""The operator console: web UI, JSON API, metrics and the operator CLI.

::

    config.py       ConsoleSettings (``HUB_CONSOLE_*``)
    models.py       console_user and console_session tables (migration 0002 creates them)
    auth.py         password hashing, users, sessions, roles
    masking.py      decoded records with personal data masked; audited unmasking
    kafka_views.py  topics, end offsets (Tansu-proof), consumer-group lag, tails
    sampler.py      periodic snapshot: rates, lag, liveness, connector health, dead letters
    metrics.py      Prometheus exposition of the latest snapshot
    web.py          aiohttp app: login, CSRF, roles, static pages; keys.py: the shared app keys
    api.py          JSON handlers: me, overview; the page modules below
    api_browse.py   topics, a topic's schemas, the message browser (browse.py: its rules)
    api_groups.py   consumer groups and offset resets (``hub.groups``)
    dead_letter_view.py  dead letters (store): list with filters, detail, re-drive/resolve/unseal
    originals.py    a dead letter's original decoded and masked (or unsealed for admins)
    redrive.py      re-drive per kind and resolve, from the store, audited
    api_cases.py    the case page (case_page.py: its content), lookup by BSN, unmasking
    api_audit.py    the audit page and CSV (audit_reads.py: the queries)
    api_reports.py  the nightly reports for download, per gemeente
    scope.py        per-gemeente scoping (R26): which cases, facts and view items a user sees
    schema_views.py a topic's schemas: locked versions, fields, compatibility
    store_reads.py  read-only store queries: agent activity, latency
    tail.py         ``hub topics tail``
    cli.py          ``hub console``, ``hub users``, ``hub lag``, ``hub dlq``, ``hub topics tail``
    cli_ops.py      ``hub groups``, ``hub audit``
    static/         the page: index.html, core.js + one script per page, style.css
    demo.py         ``ensure_demo_users`` for ``hub up --demo``
"""
