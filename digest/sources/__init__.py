"""Source parsers: Daily Papers text dumps, arXiv feeds, HF JSON; and fetching URLs.

``KINDS`` is the closed set of input kinds, spelled here once: detection
(:mod:`digest.sources.detect`), the config's ``[sources.NAME] kind`` and the
command line's ``--kind`` all use it.
"""

KINDS = ("dump", "feed", "hf_json")
