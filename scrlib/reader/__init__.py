"""What a reader sees: answers, sentences, tables, charts and the explorer, made from results."""
