"""The saved Cypher queries shipped with the project: one ``.cypher`` file each, a YAML header then the
Cypher (format and loading in ``app.saved_queries``). A package only so that the files install with it."""
