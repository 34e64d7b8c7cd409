"""The package's layers (pyproject's import-linter contracts): checked with `lint-imports`, as a developer
runs it; every module is placed in a layer, and the contracts catch a stage reaching the build cache."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
LINT = Path(sys.executable).with_name("lint-imports")


def lint(where: Path) -> subprocess.CompletedProcess[str]:
    """`lint-imports` on the package and pyproject.toml in `where`."""
    env = dict(os.environ, PYTHONPATH=str(where))
    return subprocess.run([str(LINT), "--no-cache"], cwd=where, capture_output=True, text=True, env=env,
                          timeout=120)


def layers() -> list[str]:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11 and later
    contracts = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    (layered,) = [c for c in contracts["contracts"] if c["type"] == "layers"]
    return [name.strip() for layer in layered["layers"] for name in layer.split("|")]


def test_the_package_keeps_its_layers_and_has_no_import_circle():
    result = lint(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


def test_every_module_has_its_place_in_the_layers():
    modules = sorted(p.stem for p in (REPO / "roundup").glob("*.py") if p.stem != "__init__")
    assert sorted(layers()) == modules


@pytest.mark.parametrize("module, imports", [("write", "roundup.cache"), ("render", "roundup.cache"),
                                             ("gate", "roundup.build")])
def test_a_stage_that_reaches_up_breaks_the_contracts(tmp_path: Path, module: str, imports: str):
    shutil.copytree(REPO / "roundup", tmp_path / "roundup", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path)
    with open(tmp_path / "roundup" / f"{module}.py", "a", encoding="utf-8") as source:
        source.write(f"\n\ndef _reach() -> None:\n    import {imports}  # noqa: F401\n")
    result = lint(tmp_path)
    assert result.returncode == 1
    assert f"roundup.{module} -> {imports}" in result.stdout
