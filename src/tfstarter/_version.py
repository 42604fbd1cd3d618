"""The single source of the package version (read by setuptools and at runtime)."""

__version__ = "0.1.0"
