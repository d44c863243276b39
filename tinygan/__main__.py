"""``python -m tinygan ...``: the same command line as ``tinygan ...``."""

from tinygan.cli import main

raise SystemExit(main())
