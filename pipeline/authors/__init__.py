"""Authors: the likely-fake/automated score of an account (:mod:`~pipeline.authors.health`), the top authors
of a watch and one author's page (:mod:`~pipeline.authors.queries`, pure requests and shapers)."""
