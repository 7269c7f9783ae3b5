"""A throw-away OpenLink Virtuoso server for the backend compliance test.

Virtuoso comes from Debian's ``virtuoso-opensource`` package (``.ci/run`` installs it when missing).
:class:`VirtuosoServer` writes a minimal ``virtuoso.ini`` into a temporary folder (database, log and
loading area all there), starts ``virtuoso-t`` in the foreground bound to 127.0.0.1 on free ports,
loads N-Triples with ``DB.DBA.TTLP_MT`` through ``isql-vt``, and stops the server (terminate, then
kill) when done. Its SPARQL endpoint is ``http://127.0.0.1:<port>/sparql``.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

import rdflib

from reasoner.errors import BackendError
from reasoner.serve import free_port, wait_until_up

SERVER = "virtuoso-t"
ISQL = "isql-vt"
INSTALL_HINT = "install Debian's virtuoso-opensource (apt-get install virtuoso-opensource; .ci/run does)"

_INI = """[Database]
DatabaseFile = {d}/virtuoso.db
ErrorLogFile = {d}/virtuoso.log
LockFile = {d}/virtuoso.lck
TransactionFile = {d}/virtuoso.trx
xa_persistent_file = {d}/virtuoso.pxa
[TempDatabase]
DatabaseFile = {d}/virtuoso-temp.db
TransactionFile = {d}/virtuoso-temp.trx
[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
DirsAllowed = ., {d}
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
CheckpointInterval = 0
ThreadsPerQuery = 1
[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {d}
ServerThreads = 4
[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryExecutionTime = 600
MaxQueryCostEstimationTime = 600
"""


def available() -> bool:
    return shutil.which(SERVER) is not None and shutil.which(ISQL) is not None


class VirtuosoServer:
    """One Virtuoso process over a database in ``workdir`` (created fresh)."""

    def __init__(self, workdir: Path):
        self.workdir = Path(workdir)
        self.sql_port = free_port()
        self.http_port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def query_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/sparql"

    def start(self, timeout: float = 180.0) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        ini = self.workdir / "virtuoso.ini"
        ini.write_text(_INI.format(d=self.workdir, sql_port=self.sql_port, http_port=self.http_port))
        log = open(self.workdir / "server.out", "wb")  # noqa: SIM115 - closed with the process
        self.proc = subprocess.Popen([SERVER, "-f", "-c", str(ini)], cwd=self.workdir, stdout=log,
                                     stderr=subprocess.STDOUT)
        try:
            wait_until_up(self.query_url, self.proc, timeout, what="virtuoso-t")
        except BackendError as exc:
            self.stop()
            raise RuntimeError(f"{exc.message}: {self._log_tail()}") from exc

    def _log_tail(self) -> str:
        out = self.workdir / "server.out"
        return out.read_text(errors="replace")[-800:] if out.exists() else ""

    def isql(self, sql: str) -> str:
        result = subprocess.run([ISQL, f"127.0.0.1:{self.sql_port}", "dba", "dba", f"exec={sql}"],
                                capture_output=True, text=True, timeout=600)
        output = result.stdout + result.stderr
        if result.returncode != 0 or "*** Error" in output:
            raise RuntimeError(f"isql failed: {output[-800:]}")
        return output

    def load(self, triples: Iterable[tuple], graph: str) -> int:
        """Load rdflib triples into a named graph (written as N-Triples, read by TTLP_MT)."""
        g = rdflib.Graph()
        for triple in triples:
            g.add(triple)
        path = self.workdir / f"load-{abs(hash(graph))}.nt"
        g.serialize(path, format="nt", encoding="utf-8")
        self.isql(f"DB.DBA.TTLP_MT(file_to_string_output('{path}'), '', '{graph}', 0);")
        return len(g)

    def load_files(self, paths: Iterable[Path], graph: str) -> int:
        g = rdflib.Graph()
        for path in paths:
            g.parse(str(path), format="turtle")
        return self.load(g, graph)

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None
