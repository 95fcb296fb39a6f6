"""Check that the notebooks run in JupyterLab as a user would.

Starts ``jupyter lab`` headless on 127.0.0.1, checks that the server lists the
``python3`` kernel spec a fresh install has, starts a kernel through the REST
API, and executes every code cell of a notebook through the kernel's websocket
(the same channel the JupyterLab front end uses), stopping at the first error.

Usage::

    python scripts/check_jupyterlab.py notebooks/01_build_panel.ipynb [-p name value ...]

Parameters given with ``-p`` replace the defaults of the ``parameters`` cell,
as papermill would. Exit status 0 when every cell ran.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import nbformat
import websocket  # websocket-client, a dependency of jupyter_server

KERNEL_NAME = "python3"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LabServer:
    """A headless JupyterLab server on loopback, stopped on exit."""

    def __init__(self, root: Path, timeout: float = 300.0) -> None:
        # A generous start-up wait: on a busy CI machine the server and its first kernel
        # can take well over a minute (the 60 s of the defaults failed there).
        self.port = _free_port()
        self.token = secrets.token_hex(16)
        self.root = root
        self.timeout = timeout
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> LabServer:
        cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={self.port}",
               "--ip=127.0.0.1", f"--IdentityProvider.token={self.token}",
               f"--ServerApp.root_dir={self.root}", "--ServerApp.open_browser=False",
               "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")  # CI containers run as root
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            try:
                self.get("/api/status")
                return self
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"jupyter lab exited early:\n{self.proc.stdout.read()}")
                time.sleep(0.3)
        raise TimeoutError("jupyter lab did not answer within the timeout")

    def __exit__(self, *exc) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def _request(self, path: str, method: str = "GET", body: dict | None = None) -> dict | list:
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=60) as resp:
            raw = resp.read()
            return json.loads(raw) if raw else {}

    def get(self, path: str):
        return self._request(path)

    def post(self, path: str, body: dict):
        return self._request(path, "POST", body)

    def lab_page_ok(self) -> bool:
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}/lab?token={self.token}")
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status == 200 and b"JupyterLab" in resp.read()


def execute_through_kernel(server: LabServer, sources: list[str], timeout: float = 300.0) -> list[str]:
    """Run code cells in a kernel started by the server; return their text outputs."""
    kernel = server.post("/api/kernels", {"name": KERNEL_NAME})
    ws = websocket.create_connection(
        f"ws://127.0.0.1:{server.port}/api/kernels/{kernel['id']}/channels?token={server.token}",
        timeout=timeout,
    )
    outputs: list[str] = []
    try:
        for i, code in enumerate(sources):
            msg_id = uuid.uuid4().hex
            ws.send(json.dumps({
                "header": {"msg_id": msg_id, "username": "check", "session": uuid.uuid4().hex,
                           "msg_type": "execute_request", "version": "5.3"},
                "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
                "content": {"code": code, "silent": False, "store_history": True,
                            "user_expressions": {}, "allow_stdin": False, "stop_on_error": True},
            }))
            text = []
            while True:
                msg = json.loads(ws.recv())
                if msg.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                kind = msg["msg_type"]
                if kind == "stream":
                    text.append(msg["content"]["text"])
                elif kind in ("execute_result", "display_data"):
                    text.append(msg["content"]["data"].get("text/plain", ""))
                elif kind == "error":
                    raise RuntimeError(f"cell {i} failed: {msg['content']['ename']}: "
                                       f"{msg['content']['evalue']}")
                elif kind == "status" and msg["content"]["execution_state"] == "idle":
                    break
            outputs.append("".join(text))
    finally:
        ws.close()
        server._request(f"/api/kernels/{kernel['id']}", "DELETE")
    return outputs


def notebook_sources(path: Path, parameters: dict[str, str]) -> list[str]:
    """Code cells of the notebook, with a parameters cell injected after the tagged one."""
    nb = nbformat.read(path, as_version=4)
    sources = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        sources.append(cell.source)
        if "parameters" in cell.metadata.get("tags", []) and parameters:
            sources.append("\n".join(f"{k} = {v}" for k, v in parameters.items()))
    return sources


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("notebook", type=Path)
    ap.add_argument("-p", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                    help="parameter as a Python literal, e.g. -p level \"'region'\"")
    args = ap.parse_args(argv)
    params = dict(args.p)
    with LabServer(args.notebook.resolve().parent) as server:
        specs = server.get("/api/kernelspecs")
        if KERNEL_NAME not in specs["kernelspecs"]:
            print(f"kernel spec {KERNEL_NAME!r} missing; server has {list(specs['kernelspecs'])}")
            return 1
        if not server.lab_page_ok():
            print("the /lab page did not load")
            return 1
        os.environ.setdefault("MPLBACKEND", "Agg")
        execute_through_kernel(server, notebook_sources(args.notebook, params))
    print(f"{args.notebook}: every cell ran in a JupyterLab kernel ({KERNEL_NAME})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
