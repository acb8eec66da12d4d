"""The benchmark suite's HTTP side: the gunicorn server, keep-alive clients and timing loops.

Clients use `http.client` (one keep-alive connection each, cookies kept by hand) rather than
`requests`, whose per-call overhead is several times larger and would be measured as the server's.
Concurrent runs use one process per client so the GIL of the measuring side is not the limit.
"""

from __future__ import annotations

import http.client
import json
import multiprocessing
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

Check = Callable[[int], bool]


class BenchError(RuntimeError):
    """An unexpected answer: the suite stops with a non-zero exit."""


@dataclass
class Conn:
    """One keep-alive connection with a cookie jar and optional bearer token."""

    port: int
    token: str = ""
    cookies: dict[str, str] = field(default_factory=dict)
    _http: http.client.HTTPConnection | None = None

    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, bytes, dict[str, str]]:
        all_headers = {"Host": f"127.0.0.1:{self.port}", **(headers or {})}
        if self.token:
            all_headers["Authorization"] = f"Bearer {self.token}"
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (1, 2):  # a keep-alive connection the server closed is reopened once
            if self._http is None:
                self._http = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            try:
                self._http.request(method, path, body=body, headers=all_headers)
                response = self._http.getresponse()
                data = response.read()
                break
            except (http.client.HTTPException, ConnectionError):
                self._http.close()
                self._http = None
                if attempt == 2:
                    raise
        for raw in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(raw).items():
                self.cookies[name] = morsel.value
        return response.status, data, {k.lower(): v for k, v in response.headers.items()}

    def get(self, path: str, **headers: str) -> tuple[int, bytes, dict[str, str]]:
        return self.request("GET", path, headers=headers)

    def post_json(self, path: str, payload: Any, **headers: str) -> tuple[int, bytes, dict]:
        body = json.dumps(payload).encode()
        return self.request(
            "POST", path, body=body, headers={"Content-Type": "application/json", **headers}
        )

    def post_form(self, path: str, data: dict[str, str], **headers: str) -> tuple[int, bytes, dict]:
        extra = {"X-CSRFToken": self.cookies.get("csrftoken", ""), **headers}
        return self.request(
            "POST",
            path,
            body=urlencode(data).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded", **extra},
        )


def login(port: int, username: str, password: str) -> Conn:
    """Sign in through the real login form (CSRF cookie and token, then the POST)."""
    conn = Conn(port)
    status, _, _ = conn.get("/accounts/login/")
    if status != 200 or "csrftoken" not in conn.cookies:
        raise BenchError(f"login page: HTTP {status}")
    status, _, headers = conn.post_form(
        "/accounts/login/",
        {
            "username": username,
            "password": password,
            "csrfmiddlewaretoken": conn.cookies["csrftoken"],
        },
        Referer=f"http://127.0.0.1:{port}/accounts/login/",
    )
    if status != 302 or "sessionid" not in conn.cookies:
        raise BenchError(f"sign-in of {username} failed: HTTP {status} {headers.get('location')}")
    return conn


# ----------------------------------------------------------------------------- timing


def ok_2xx(status: int) -> bool:
    return 200 <= status < 300


def time_sequential(
    call: Callable[[], tuple[int, bytes, dict]],
    *,
    runs: int,
    budget_s: float,
    warmup: int = 2,
    check: Check = ok_2xx,
    label: str = "",
) -> tuple[list[float], float]:
    """Warm up, then call up to `runs` times (at least 5, within `budget_s`): ms per call."""
    for _ in range(warmup):
        _expect(call(), check, label)
    samples: list[float] = []
    started = time.perf_counter()
    while len(samples) < runs:
        t = time.perf_counter()
        result = call()
        samples.append((time.perf_counter() - t) * 1000)
        _expect(result, check, label)
        if len(samples) >= 5 and time.perf_counter() - started > budget_s:
            break
    return samples, time.perf_counter() - started


def _expect(result: tuple[int, bytes, dict], check: Check, label: str) -> None:
    status, body, _ = result
    if not check(status):
        raise BenchError(f"{label}: unexpected HTTP {status}: {body[:300]!r}")


@dataclass(frozen=True)
class LoadSpec:
    """What one concurrent client process does: GETs of a path or POSTs of new tickets."""

    port: int
    path: str
    seconds: float
    token: str = ""
    create_team: int | None = None  # POST tickets to this team instead of GETting `path`
    client: int = 0


def _client_loop(spec: LoadSpec) -> tuple[list[float], list[int], float]:
    """Run in a child process: (latencies ms, unexpected statuses, client CPU seconds)."""
    conn = Conn(spec.port, token=spec.token)
    latencies: list[float] = []
    bad: list[int] = []
    cpu = time.process_time()
    deadline = time.perf_counter() + spec.seconds
    i = 0
    while time.perf_counter() < deadline:
        i += 1
        t = time.perf_counter()
        if spec.create_team is None:
            status = conn.get(spec.path)[0]
        else:
            status = conn.post_json(spec.path, ticket_payload(spec, i))[0]
        latencies.append((time.perf_counter() - t) * 1000)
        if not ok_2xx(status):
            bad.append(status)
    return latencies, bad, time.process_time() - cpu


def ticket_payload(spec: LoadSpec, i: int) -> dict[str, Any]:
    words = ("printer", "vpn", "outlook", "timeout", "invoice", "export", "disk", "sync")
    w = words[(i + spec.client) % len(words)]
    return {
        "title": f"Bench create {spec.client}-{i}: {w} not working",
        "description": f"Created by bench/suite.py: {w} fails for several users since 9:00.",
        "team": spec.create_team,
        "impact": 1 + i % 3,
        "urgency": 1 + (i // 3) % 3,
    }


def run_concurrent(specs: list[LoadSpec]) -> tuple[list[float], float, float]:
    """Start one process per spec at once; (all latencies, wall seconds, client CPU seconds)."""
    ctx = multiprocessing.get_context("spawn")  # no inherited database connections
    with ctx.Pool(len(specs)) as pool:
        pool.map(_noop, range(len(specs)))  # workers up before the clock starts
        started = time.perf_counter()
        results = pool.map(_client_loop, specs)
        wall = time.perf_counter() - started
    latencies = [ms for r in results for ms in r[0]]
    bad = [s for r in results for s in r[1]]
    if bad:
        raise BenchError(f"{specs[0].path}: {len(bad)} unexpected answers, e.g. HTTP {bad[0]}")
    return latencies, wall, sum(r[2] for r in results)


def _noop(_: int) -> None:
    return None


# ----------------------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(data_dir: Path, port: int, workers: int, env: dict[str, str]) -> subprocess.Popen:
    """`backline serve` (gunicorn, production settings) in its own process group."""
    log = (data_dir / "bench-server.log").open("wb")
    command = [sys.executable, "-m", "backline.cli", "serve", "--port", str(port)]
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and fixed arguments
        [*command, "--workers", str(workers)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"the server exited with {process.returncode}; see {log.name}")
        try:
            if Conn(port).get("/accounts/login/")[0] == 200:
                return process
        except OSError:
            pass
        time.sleep(0.3)
    stop_server(process)
    raise BenchError(f"the server did not answer within 90 s; see {log.name}")


def stop_server(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def worker_rss_mb(master_pid: int) -> dict[int, dict[str, float]]:
    """Resident memory in MB of each gunicorn worker (the master's children), from /proc: the
    total (VmRSS) and its parts, anonymous (the process's own heap) and file-backed (mapped
    files: on SQLite mostly the database pages `PRAGMA mmap_size` maps, which are the kernel's
    page cache, shared by every process that maps them)."""
    children: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces; the parent pid is the 2nd field after it.
        if int(stat.rsplit(")", 1)[1].split()[1]) == master_pid:
            children.append(int(entry.name))
    out: dict[int, dict[str, float]] = {}
    for pid in children:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        fields = {}
        for key in ("VmRSS", "RssAnon", "RssFile", "RssShmem"):
            match = re.search(rf"^{key}:\s+(\d+) kB", status, re.MULTILINE)
            fields[key] = int(match.group(1)) / 1024 if match else 0.0
        out[pid] = fields
    return out
