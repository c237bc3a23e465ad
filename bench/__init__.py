"""Performance figures for schoolwatch (`make bench`). Prints figures and ratios to targets."""
