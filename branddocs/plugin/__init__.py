"""The registered MkDocs plugin: `plugins: [branddocs]` in mkdocs.yml (entry point `mkdocs.plugins`, which names
plugin.py's BranddocsPlugin). config.py: its options; files.py: MkDocs' file collection, pruned; macros.py: what a
project's macros call; render.py: a brand's pages rendered as the build renders them.

Nothing is imported here: the example checks use render.py in every pytest process without MkDocs' imports.
"""
