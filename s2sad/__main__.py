"""``python -m s2sad`` runs the command-line front end."""

import sys

from s2sad.cli import main

sys.exit(main())
