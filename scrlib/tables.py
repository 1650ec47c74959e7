"""Tables for readers: figures with their citations, and conflicts with their resolutions."""

from __future__ import annotations

import pandas as pd


def figure_table(dataset, series_ids=None) -> pd.DataFrame:
    """Every figure of ``series_ids`` (all if None) with its source and the words that state it."""
    figs = dataset.figures
    if series_ids is not None:
        figs = figs[figs["series_id"].isin(list(series_ids))]
    figs = figs.sort_values(["series_id", "start", "source_id"])
    return pd.DataFrame(
        {
            "Series": [dataset.series_info(s).name for s in figs["series_id"]],
            "Period": figs["period"].str.replace("FY", "", regex=False).to_numpy(),
            "As stated": figs["period_stated"].to_numpy(),
            "Value": figs["value"].map("{:g}".format).to_numpy(),
            "Source": [dataset.source(s).short for s in figs["source_id"]],
            "Excerpt": figs["excerpt"].to_numpy(),
        }
    ).reset_index(drop=True)


def conflict_table(dataset, series_ids=None) -> pd.DataFrame:
    """Each value in conflict, its source, whether the recorded resolution chose it, and why."""
    conf = dataset.conflicts()
    if series_ids is not None:
        conf = conf[conf["series_id"].isin(list(series_ids))]
    return pd.DataFrame(
        {
            "Series": [dataset.series_info(s).name for s in conf["series_id"]],
            "Period": conf["period"].str.replace("FY", "", regex=False).to_numpy(),
            "Value": conf["value"].map("{:g}".format).to_numpy(),
            "Source": [dataset.source(s).short for s in conf["source_id"]],
            "Used": conf["chosen"].map({True: "yes", False: "no"}).to_numpy(),
            "Rule": conf["rule"].to_numpy(),
            "Reason": conf["reason"].to_numpy(),
        }
    ).reset_index(drop=True)


def resolved_table(resolved: pd.DataFrame, dataset) -> pd.DataFrame:
    """A resolved series as Series x Period with values (wide), for a quick read."""
    frame = resolved.assign(
        Series=[dataset.series_info(s).name for s in resolved["series_id"]],
        Period=resolved["period"].str.replace("FY", "", regex=False),
    )
    return frame.pivot(index="Period", columns="Series", values="value").rename_axis(columns=None)
