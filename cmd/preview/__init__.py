"""The writer's live preview: ``python -m cmd.preview ARTICLES`` (see __main__.py and README).

A tool, like rendermd: it builds the site into a private folder with rendermd's and
buildindex's own code, serves it through the server's own app and connection, and adds
what only a writer needs (a reload script, an overlay for errors, marks on drafts) to
what it serves, never to what the tools write.
"""
