"""The one exception type for problems a user can cause and fix."""

from __future__ import annotations


class PipelineError(Exception):
    """A bad input file, codebook, manifest or parameter.

    The message names the file (and line or field where known) and says what
    to do. Command-line entry points print it without a traceback and exit 2.
    """
