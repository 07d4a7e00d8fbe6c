"""Ranking: matching, scoring, reports. This module holds the closed set of rankings (the CLI
reads it at start-up, so it imports nothing)."""

# How a digest is ordered (show --sort): best score first, or most upvoted first (then by score).
RANK_SORTS = ("score", "upvotes")
