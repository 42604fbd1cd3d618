"""``python -m tfstarter``: the ``tfstarter`` command (see `tfstarter.cli`)."""

from __future__ import annotations

if __name__ == "__main__":
    from tfstarter.cli import main

    raise SystemExit(main())
