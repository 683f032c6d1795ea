"""The README's Quick start must stay true: its commands are the ones CI and users run."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def quick_start() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## 快速开始", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block, "the Quick start has a bash block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_quick_start_is_two_commands_install_then_run_and_install_then_test() -> None:
    run, test = quick_start()
    venv = "python3 -m venv .venv && "
    assert run.startswith(venv + ".venv/bin/pip install . && .venv/bin/lanjie run examples/")
    assert test == venv + ".venv/bin/pip install '.[test]' && .venv/bin/pytest"
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test in ci.splitlines(), ".ci/run runs the README's test command"


def test_quick_start_run_command_works_on_the_bundled_sample(tmp_path: Path) -> None:
    run, _ = quick_start()
    command = run.rsplit("&& ", 1)[1]
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    args = shlex.split(command)
    assert args[0] == ".venv/bin/lanjie"
    result = subprocess.run(
        f"{shlex.quote(sys.executable)} -m lanjie {' '.join(args[1:])}",
        shell=True,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    [out] = tmp_path.glob("lanjie-输出-*")
    names = {p.name for p in out.iterdir()}
    assert {"decisions.json", "批量搜索.txt", "备注.txt"} <= names
    assert any(name.startswith("拦截-") for name in names)
    assert any(name.endswith(".xlsx") for name in names)
