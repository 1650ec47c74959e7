"""Running the notebooks into a report: reproducible, one run per folder, swapped in whole."""
