"""Scale-out: the same indexing on a Ray cluster (:mod:`wenda.scale.raymap`); Qdrant as the index
backend lives with the other retrievers (:mod:`wenda.index.qdrant`, :mod:`wenda.index.qdrant_bm25`)."""
