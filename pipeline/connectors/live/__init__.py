"""Live connectors, one module per source; :mod:`pipeline.connectors.registry` builds them from watches.yaml."""
