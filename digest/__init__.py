"""digest: a daily, ranked digest of machine-learning papers."""

__version__ = "0.1.0"
