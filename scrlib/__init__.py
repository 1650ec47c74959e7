"""scrlib: cited figures on Serious Case Reviews in England, and honest before/after analysis.

The pipeline: ``data/`` (sources, figures, events) -> :mod:`scrlib.load` (typed tables) ->
:mod:`scrlib.cite` (citations) -> :mod:`scrlib.its` (models) -> :mod:`scrlib.plot` (charts) ->
:mod:`scrlib.report` (papermill runs of ``notebooks/``).
"""

__version__ = "0.1.0"
