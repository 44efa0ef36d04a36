"""Build steps behind ``scripts/build_data.py``: data-raw, the seed plans and ``specs/`` in, ``data/`` out.

One module per step, in build order:

- ``config``: study counties, seed files, level codes; ``geo``, ``names``, ``records``, ``tabular``:
  points, name stems, the records passed between steps, deterministic CSV and atomic writes;
- ``raw``: readers of the data-raw folders;
- ``townships``: township points and settlement class; ``population``: census allocation;
- ``specs``: the hand-entered facility specifications in ``specs/*.csv``; ``seeds``: their citations
  checked against the seed plans, and Lu County's Table 2; ``facilities``: facilities.csv rows;
- ``stock_specs``: the grade and stock specifications; ``grades``: each facility's base grade;
  ``allocation``: bounded proportional shares; ``facility_stock``: facility_stock.csv rows;
- ``tables``, ``boundaries``, ``provenance``, ``stock_provenance`` and ``provenance_text``: the output files;
- ``build``: runs the steps in order.

The methods are stated in the header of ``scripts/build_data.py``.
"""
