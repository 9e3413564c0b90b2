"""The ecomap application: CLI, FastAPI service and the 创新生态云图 pages."""
