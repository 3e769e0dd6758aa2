"""`python -m branddocs.cli`: the command line."""

import sys

from branddocs.cli import main

sys.exit(main())
