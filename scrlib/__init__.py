"""scrlib: cited figures on Serious Case Reviews in England, and honest before/after analysis.

One package per stage of the pipeline; no stage imports a later one (tests/test_layers.py):

1. :mod:`scrlib.record`: ``data/`` read, checked, resolved, cited and exported;
2. :mod:`scrlib.its`: the statistics (interrupted time series, break scans, explanations);
3. :mod:`scrlib.study`: one study of the record (specifications, analyses, sensitivity);
4. :mod:`scrlib.reader`: what a reader sees (answers, tables, charts, the explorer);
5. :mod:`scrlib.publish`: papermill runs of ``notebooks/`` into the report.

:mod:`scrlib.cli` (the ``scr`` command) sits on top of them all.
"""

__version__ = "0.1.0"
