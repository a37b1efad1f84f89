"""``python -m kohakuterrarium`` is the ``kt`` command."""

import sys

from kohakuterrarium.cli import main

if __name__ == "__main__":
    sys.exit(main())
