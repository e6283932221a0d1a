"""python -m eblog: the same as the ``eblog`` command."""

import sys

from eblog.cli import main

if __name__ == "__main__":
    sys.exit(main())
