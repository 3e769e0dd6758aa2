"""Building brand sites: many brands, fast, incremental, published atomically.

build.py: the build of many brands over forked workers, and MkDocs' build of one; zensical.py: `--engine
zensical`; stamps.py: each brand's inputs digest and stamp (what is up to date); result.py: a build's result.
"""
