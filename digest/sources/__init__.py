"""Source parsers: Daily Papers text dumps, arXiv feeds, HF JSON."""
