"""Errors the command line reports as one line (``nudge: error: …``, exit status 2).

In a module of their own so that any command's module can raise them without importing :mod:`pipelines.cli`
(which imports the commands: the two would import each other).
"""


class CliError(Exception):
    """A failure the user can act on; printed as one line."""
