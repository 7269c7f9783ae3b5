"""Build hook: ship ``ontology/`` and ``queries/`` inside the package as ``reasoner/data/``.

All metadata lives in pyproject.toml. The two folders stay at the repository root (where Protégé
and SPARQL users open them); this hook copies them byte-identical into the wheel at build time, so
there is never a second, hand-kept copy in the source tree. ``reasoner/resources.py`` finds them in
either place. ``tests/test_packaging.py`` builds a wheel and checks every file.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

ROOT = Path(__file__).resolve().parent
DATA_DIRS = ("ontology", "queries")
_IGNORE = shutil.ignore_patterns("__pycache__", "*.py[cod]", ".*")


def _copy_data(target: Path) -> None:
    for name in DATA_DIRS:
        source = ROOT / name
        if not (source / ".").is_dir():
            raise SystemExit(f"setup.py: {source} is missing; build from a checkout or an sdist")
        destination = target / name
        if destination.exists():
            shutil.rmtree(destination)
        shutil.copytree(source, destination, ignore=_IGNORE)


class BuildPyWithData(build_py):
    """build_py that also copies ontology/ and queries/ to reasoner/data/ in the build tree."""

    def run(self) -> None:
        super().run()
        if not getattr(self, "editable_mode", False):  # editable installs read the checkout
            _copy_data(Path(self.build_lib) / "reasoner" / "data")


class SdistWithData(sdist):
    """sdist that carries ontology/ and queries/, so a wheel built from it has them too."""

    def make_release_tree(self, base_dir: str, files: list[str]) -> None:
        super().make_release_tree(base_dir, files)
        _copy_data(Path(base_dir))


setup(cmdclass={"build_py": BuildPyWithData, "sdist": SdistWithData})
