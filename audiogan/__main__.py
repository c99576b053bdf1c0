"""``python -m audiogan``: the same as the ``audiogan`` command (:mod:`audiogan.cli`)."""

import sys

from audiogan.cli import main

sys.exit(main())
