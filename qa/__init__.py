"""qa: ask questions of your own articles, offline, with checked citations."""

__version__ = "0.1.0"
