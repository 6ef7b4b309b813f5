"""Run the command line with ``python -m aerorepo``."""

import sys

from aerorepo.cli import main

sys.exit(main())
