"""`python -m core --help`: the headless command line."""

import sys

from core.cli import main

sys.exit(main())
