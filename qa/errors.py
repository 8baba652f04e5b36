"""Errors a user can act on; the CLI prints them as one line and exits 1."""


class QAError(Exception):
    """A problem with the user's input or setup, with a message that says how to fix it."""


class IndexMismatchError(QAError):
    """The collection was built with different settings than the ones in force."""


class DamagedCollectionError(QAError):
    """A collection's database cannot be read; `qa doctor --repair` can rebuild what is left."""


class NoSuchDocumentError(QAError):
    """A document id or path that the collection does not hold."""
