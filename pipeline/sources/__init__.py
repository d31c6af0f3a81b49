"""Where mentions come from: one folder per source (its normaliser, its live connector, its watches.yaml
options, its webhook provider), the machinery they share, and :mod:`pipeline.sources.registry`, the
one list of sources from which everything else that names them is derived.

This package file imports nothing, so that :mod:`pipeline.mention` can read the registry's platforms.
"""
