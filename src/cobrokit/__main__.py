"""``python -m cobrokit``."""

from cobrokit.cli import main

raise SystemExit(main())
