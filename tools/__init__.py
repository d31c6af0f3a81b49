"""Development tools that are not part of the installed package: the sample stream generator
(``tools.sample``) and the README screenshots (``tools.showcase``). Run them from a checkout:
``python -m tools.sample.generate``, ``python -m tools.showcase``."""
