"""The reports for controllers: the nightly reconciliation (HTML, XLSX, CSV) and the yearly
SPUK account (R16).

One read of the store, section by section, with totals that tie out::

    data.py      the store's views, fact summaries and dead letters as plain rows, one snapshot
    sections.py  pure row builders per section (exceptions, moves, risks, PIB, vouchers,
                 completeness); budget.py the budget per gemeente, year and post (R14-R16),
                 commitments.py open commitments; payments.py bookings against payments;
                 edges.py refusals at the edge; actions.py what needs action today
    collect.py   the one pass that feeds every section
    columns.py   the sections' Dutch titles, typed columns and ranking
    csvs.py      counts, totals, samples; the CSV files (sorted ones by rank)
    workbook.py  sheets with print setup and filters, formulas with cached values
    xlsx.py      the nightly workbook; html.py (htmlkit.py, svg.py) the page; tieout.py checks
    nightly.py   ``run_nightly`` and ``collect``: what the CLI and the worker's schedule call
    jaar.py      ``run_jaar``: the yearly account, from the same pass
    schedule.py  when the worker runs them
"""
