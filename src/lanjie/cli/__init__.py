"""The `lanjie` command line. Commands only: the work happens in the pipeline, the ledger and outputs."""

import sys

from lanjie.program import is_the_program

if is_the_program() and sys.argv[1:2] in (["run"], ["triage"], ["import"]):
    # The exports' parse starts before the command line's own modules load.
    from lanjie.ingest.columns import HEADER_SCAN_ROWS
    from lanjie.ingest.workbook import start_early

    start_early(sys.argv[2:], HEADER_SCAN_ROWS)

# isort: off
# Commands appear in `lanjie --help` in the order their modules register them.
from lanjie.cli.common import app
from lanjie.cli import work, ledger, platform, notify, track, web, demo

# isort: on

__all__ = ["app", "demo", "ledger", "notify", "platform", "track", "web", "work"]
