"""Errors a user may see. Each message is one line that says what went wrong and how to fix it."""


class DocbotError(Exception):
    """Base class: the CLI prints the message and exits with status 1, without a traceback."""


class DataError(DocbotError):
    """A data file (document, aliases, facts) cannot be used; the message names file[:line]."""


class IndexFormatError(DocbotError):
    """An index on disk is missing, stale, from another version or damaged."""


class IndexVersionError(IndexFormatError):
    """An index written by another version of docbot: rebuilt, not damaged."""
