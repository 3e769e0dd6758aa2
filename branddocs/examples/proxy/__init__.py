"""The recording proxy between examples and the endpoint: recording.py (the proxy, which swaps a run's key for the
real one and forwards only what allowed.py lists), process.py (the one process that holds the real key, and its
client for pytest's workers).
"""

import sys

# httpx imports its command line (click, rich, pygments: a tenth of a second of imports) with itself, unless that is
# missing; the processes that import this package (the proxy's, the engine, pytest's) use httpx as a library only.
sys.modules.setdefault("httpx._main", None)
