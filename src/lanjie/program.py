"""Whether this process is the `lanjie` program itself."""

from __future__ import annotations

import sys
from pathlib import Path


def is_the_program() -> bool:
    """Whether this process is `lanjie` started from a shell (its console script or `python -m
    lanjie`) writing to its own stdout, rather than a caller running a command in-process."""
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    started_as_lanjie = (spec is not None and spec.name == "lanjie.__main__") or (
        bool(sys.argv) and Path(sys.argv[0]).name.startswith("lanjie")
    )
    return started_as_lanjie and sys.stdout is sys.__stdout__
