from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from lanjie.ingest.clean import SHANGHAI

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test starts in an empty folder with no LANJIE_* settings of the developer's."""
    for name in list(os.environ):
        if name.startswith("LANJIE_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    yield tmp_path
