"""One study of the record: the series, dates and models, and how the answer moves with each."""
