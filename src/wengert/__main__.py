"""``python -m wengert ...``: the ``wengert`` command (`wengert.cli.main`), where the console script is not on PATH.

``python -m wengert trace "x*x" --at x=3`` is ``wengert trace "x*x" --at x=3``.
"""

from __future__ import annotations

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
