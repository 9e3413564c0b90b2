"""The 创新生态云图 pages: views built from the graph (``views``), server-side layout for large views
(``layout``), and HTML rendering, served or standalone (``render``). Templates and static assets
(vis-network included, so no page loads anything from another host) live beside this module; the
routes are in ``app.routes.pages`` and the CLI command in ``app.cli.map``."""
