"""The data files travel with the package: one locator finds them in a checkout and in a wheel."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from reasoner import resources
from reasoner.errors import KnowledgeBaseError

REPO = Path(__file__).resolve().parent.parent
DATA_SUFFIXES = {".ttl", ".rq", ".xml"}


def data_files() -> list[Path]:
    return sorted(
        p
        for folder in ("ontology", "queries")
        for p in (REPO / folder).rglob("*")
        if p.is_file() and p.suffix in DATA_SUFFIXES
    )


def test_locator_in_checkout():
    assert resources.ontology_dir() == REPO / "ontology"
    assert resources.queries_dir() == REPO / "queries"
    assert resources.shapes_dir() == REPO / "ontology" / "shapes"
    paths = resources.module_paths(allow_missing=True)
    assert paths[0] == REPO / "ontology" / "her2neg.ttl"
    assert all(p.parent == REPO / "ontology" for p in paths)


def test_missing_module_is_an_error_unless_allowed(tmp_path, monkeypatch):
    shutil.copytree(REPO / "ontology", tmp_path / "ontology")
    shutil.copytree(REPO / "queries", tmp_path / "queries")
    (tmp_path / "ontology" / "core.ttl").unlink()
    monkeypatch.setenv(resources.DATA_DIR_ENV, str(tmp_path))
    resources.data_root.cache_clear()
    try:
        assert resources.ontology_dir() == tmp_path / "ontology"
        with pytest.raises(KnowledgeBaseError, match="core"):
            resources.module_paths()
        assert tmp_path / "ontology" / "core.ttl" not in resources.module_paths(allow_missing=True)
    finally:
        monkeypatch.delenv(resources.DATA_DIR_ENV)
        resources.data_root.cache_clear()


@pytest.mark.slow
def test_wheel_carries_data_byte_identical(tmp_path):
    out = tmp_path / "dist"
    proc = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(REPO)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (wheel,) = out.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        missing, different = [], []
        for path in data_files():
            inside = "reasoner/data/" + path.relative_to(REPO).as_posix()
            if inside not in names:
                missing.append(inside)
            elif archive.read(inside) != path.read_bytes():
                different.append(inside)
        assert not missing, f"not in the wheel: {missing}"
        assert not different, f"not byte-identical in the wheel: {different}"
        assert "reasoner/py.typed" in names, "the package is typed (PEP 561): py.typed must ship"
        site = tmp_path / "site"
        archive.extractall(site)

    # The installed package finds its own copy, not the checkout.
    code = (
        "from reasoner import resources\n"
        "print(resources.ontology_dir()); print(resources.queries_dir()); print(resources.shapes_dir())\n"
        "print(len(resources.module_paths(allow_missing=True)))\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", resources.DATA_DIR_ENV)}
    env["PYTHONPATH"] = str(site)
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    ontology, queries, shapes, count = proc.stdout.split()
    assert Path(ontology) == site / "reasoner" / "data" / "ontology"
    assert Path(queries) == site / "reasoner" / "data" / "queries"
    assert Path(shapes) == site / "reasoner" / "data" / "ontology" / "shapes"
    assert int(count) == len(resources.module_paths(allow_missing=True))
