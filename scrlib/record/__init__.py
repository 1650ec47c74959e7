"""The cited record: every figure and date with its source and words, checked, resolved, cited."""
