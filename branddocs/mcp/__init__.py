"""`branddocs mcp`: each built brand's guide as a Model Context Protocol server, for readers' AI assistants.

command.py (the command and its options), app.py (`/<id>/mcp` for every brand, Host and Origin per brand),
server.py (the tools: search, get_page, platform), sites.py (the built sites, read lazily, a bounded few
kept), search.py (the site's own search index, split as the site's search splits it), pages.py (the pages
`llms.txt` lists and their Markdown twins).
"""

from __future__ import annotations

__all__: list[str] = []
