from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test starts in an empty folder with no LANJIE_* settings of the developer's."""
    for name in list(os.environ):
        if name.startswith("LANJIE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "user-data"))  # the default ledger goes here
    monkeypatch.chdir(tmp_path)
    yield tmp_path
