import sys

from vvdash.cli import main

sys.exit(main())
