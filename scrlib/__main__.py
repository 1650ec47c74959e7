"""``python -m scrlib`` does the same as ``scr``."""

import sys

from scrlib.cli import main

sys.exit(main())
