"""The `lanjie` command line. Commands only: the work happens in the pipeline, the ledger and outputs."""

# isort: off
# Commands appear in `lanjie --help` in the order their modules register them.
from lanjie.cli.common import app
from lanjie.cli import work, ledger, platform, notify, track, web, demo

# isort: on

__all__ = ["app", "demo", "ledger", "notify", "platform", "track", "web", "work"]
