"""digest: a daily, ranked digest of machine-learning papers.

The version is the installed package's (``pyproject.toml`` is its one source),
looked up only when asked for, so start-up does not pay for importlib.metadata.
"""


def __getattr__(name: str) -> str:
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("digest")
        except PackageNotFoundError:  # pragma: no cover - running from a source tree not installed
            return "0+unknown"
    raise AttributeError(f"module 'digest' has no attribute {name!r}")
