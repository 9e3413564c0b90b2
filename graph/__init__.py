"""Graph layer: ontology, backend-neutral result model, store backends, analytics."""
