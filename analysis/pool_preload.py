"""Imported only by the fork server of `analysis.pool`: loads the classifier there, once, so
that every worker forked from it starts with the classifier in memory."""

from contextlib import suppress

from analysis.pool import warm

# a failure is not raised here, where it would end the fork server with a traceback: each
# worker then loads the classifier itself, meets the same error, and its tasks raise it
with suppress(Exception):
    warm()
