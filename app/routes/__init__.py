"""API route modules; each defines ``router`` and is included by ``app.main``."""
