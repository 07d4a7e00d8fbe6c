"""digest: a daily, ranked digest of machine-learning papers.

``__version__`` is the version's one definition: ``pyproject.toml`` reads it from here
(setuptools ``attr``, without importing the package), so neither the build nor start-up pays for
importlib.metadata.
"""

__version__ = "0.1.0"
