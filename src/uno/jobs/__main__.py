"""``python -m uno.jobs worker ...``: see :mod:`uno.jobs.cli`."""

import sys

from uno.jobs.cli import main

sys.exit(main())
