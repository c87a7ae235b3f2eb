"""Run the moderators' command line."""

import sys

from .cli import main

sys.exit(main())
