"""Loaders: read CSV, Excel, JSON, JSON Lines and YAML records; validate them against the ontology;
write them to the graph store in batches, idempotently; export the graph; generate synthetic data.

A node record is ``{"type": <label>, "id", "name", …properties}``; a relationship record is
``{"type": <REL_TYPE>, "start": <node id>, "end": <node id>, …properties}``. A JSON or YAML file
holds a list of records or ``{"nodes": [...], "relationships": [...]}``.
"""

from loaders.load import DATASETS, collect, dataset_path, load_dataset, load_paths
from loaders.problems import LoadRejected, Problem
from loaders.report import LoadReport

__all__ = ["DATASETS", "LoadRejected", "LoadReport", "Problem", "collect", "dataset_path", "load_dataset",
           "load_paths"]
