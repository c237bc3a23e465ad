"""Imported only by the fork server of `analysis.pool`: loads the classifier there, once, so
that every worker forked from it starts with the classifier in memory."""

from analysis.pool import warm

warm()
