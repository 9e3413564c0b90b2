"""The saved Cypher queries shipped with the project: one ``.cypher`` file each, a YAML header then the
Cypher (format and loading in ``app.query_header`` and ``app.query_library``). A package only so that the
files install with it."""
