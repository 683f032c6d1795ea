"""The key that signs the web's session cookies."""

from __future__ import annotations

import secrets
from pathlib import Path

import platformdirs


def secret_key(configured: str) -> str:
    """The key that signs session cookies: the configured one, else one made once per machine
    and kept in the user's data folder (never a built-in default). Settings checked its length."""
    if configured:
        return configured
    path = Path(platformdirs.user_data_dir("lanjie", appauthor=False)) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48), encoding="ascii")
        path.chmod(0o600)
    return path.read_text(encoding="ascii").strip()
