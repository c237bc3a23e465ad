"""Shared vocabulary of schoolwatch: configuration, the values passed between stages, errors.

The stage packages (`sources`, `analysis`, `warehouse`, `digest`, `flows`) all speak in
these types; none of them imports another stage's internals.
"""

__version__ = "0.1.0"
