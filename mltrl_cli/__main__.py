"""``python -m mltrl_cli`` runs the same client as the ``mltrl`` console script."""

import sys

from .main import main

sys.exit(main())
