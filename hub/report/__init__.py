"""The nightly reconciliation report for controllers (HTML, XLSX, CSV).

One read of the store, section by section, with totals that tie out::

    data.py      the store's views and fact summaries as plain rows, streamed, one snapshot
    sections.py  pure row builders per section (exceptions, moves, risks, PIB, vouchers,
                 completeness); budget.py the budget per gemeente and year (R14-R16);
                 payments.py bookings against payments
    collect.py   the one pass that feeds every section
    columns.py   the sections' Dutch titles and typed columns
    csvs.py      counts, totals, samples; the CSV files
    xlsx.py      the workbook (a sheet per section, totals as formulas)
    html.py      the self-contained page (svg.py: inline charts)
    nightly.py   ``run_nightly``: what the CLI and the worker's schedule call
    schedule.py  when the worker runs it
"""
