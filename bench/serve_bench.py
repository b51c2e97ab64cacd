"""Benchmark: the intake server under 50 clerks uploading at once.

    python bench/serve_bench.py                 # 50 clerks, 2 checker processes
    python bench/serve_bench.py --clerks 50 --workers 2 --threads 32

Sets up a fresh instance in a temporary folder (serve init, one department and one upload link per
clerk), starts `xltools serve run` in its own process (waitress, the checker's worker processes), and
lets every clerk, in its own thread and HTTP session (one kept-alive connection, as a browser keeps it), open
its link, then upload its department's own workbook (xltools.synth, seed = clerk number, cover set to its
department) at the same moment. A clerk's
time runs from the start of the upload request to the moment its report page shows the result (following
the page's refresh while the check is pending). Afterwards every upload is accounted for: one version per
department, checked, with its stored file, its HTML report and its audit-log entry.

Peak memory is the sampled peak (every 50 ms, /proc) of the RSS summed over the server's process tree;
the server's CPU time (the tree's utime + stime over the run) gives the cost per upload, independent of
how busy the shared machine is.
Goal: p95 ≤ 2 s on the 2-core machine.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


CPU_SEEN: dict[int, float] = {}  # pid -> utime + stime (s), last sampled


def _children(pid: int) -> list[int]:
    """pid's child processes, from the kernel's /proc/PID/task/*/children lists."""
    out: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as fh:
                out.extend(int(x) for x in fh.read().split())
        except OSError:
            pass
    return out


def tree_rss_mb(pid: int) -> float:
    """RSS of a process and its descendants, from /proc (also records each one's CPU time).

    The tree is walked down through the kernel's children lists: a scan of every process in /proc each
    50 ms cost ~5 ms of the bench's CPU each time, on the two cores the server is being measured on."""
    total, todo, seen = 0, [pid], set()
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        try:
            with open(f"/proc/{p}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
            with open(f"/proc/{p}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            CPU_SEEN[p] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except OSError:
            pass
        todo.extend(_children(p))
    return total / 1024


class Session:
    """A minimal HTTP client with a cookie jar (the standard library only). Like a browser, it keeps its
    connection open between requests (HTTP/1.1 keep-alive) rather than opening one per request."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None):
        h = dict(headers or {})
        if self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        fresh = self.conn is None
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            self.conn.request(method, path, body=body or None, headers=h)
            r = self.conn.getresponse()
            data = r.read()
        except (http.client.RemoteDisconnected, ConnectionError):
            self.conn.close()
            self.conn = None
            if fresh or method != "GET":  # never send an upload twice
                raise
            return self.request(method, path, body, headers)
        for k, v in r.getheaders():
            if k.lower() == "set-cookie":
                name, _, rest = v.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        if r.will_close:
            self.conn.close()
            self.conn = None
        return r.status, dict(r.getheaders()), data

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def get(self, path: str):
        return self.request("GET", path)


def upload_body(csrf: str, name: str, data: bytes) -> tuple[bytes, str]:
    b = uuid.uuid4().hex
    parts = [
        f'--{b}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n{csrf}\r\n'.encode(),
        f'--{b}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\r\n".encode(),
        data,
        f"\r\n--{b}--\r\n".encode(),
    ]
    return b"".join(parts), f"multipart/form-data; boundary={b}"


def clerk(port: int, code: str, token: str, data: bytes, start: threading.Barrier, out: dict) -> None:
    s = Session(port)
    s.get(f"/link/{token}/")
    _, _, page = s.get(f"/d/{code}/")
    csrf = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
    body, ctype = upload_body(csrf, f"{code}.xlsx", data)
    start.wait()
    t0 = time.perf_counter()
    status, headers, _ = s.request(
        "POST", f"/d/{code}/upload/", body, {"Content-Type": ctype, "Referer": f"http://127.0.0.1:{port}/"}
    )
    if status != 302:
        out[code] = {"error": status}
        return
    where = headers.get("Location") or headers.get("location")
    while True:
        _, _, page = s.get(where)
        if b'id="summary"' in page or b'id="failed"' in page:
            break
        time.sleep(0.2)
    t1 = time.perf_counter()
    s.close()
    out[code] = {"seconds": t1 - t0, "t0": t0, "t1": t1}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clerks", type=int, default=50)
    ap.add_argument("--workers", type=int, default=2, help="checker processes")
    ap.add_argument("--threads", type=int, default=32, help="waitress threads")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()

    from xltools import synth
    from xltools.edition import load_edition
    from xltools.server.prefill import cover_data
    from xltools.template.write import write_template

    ed = load_edition("hebei-county-2020")
    tmp = Path(tempfile.mkdtemp(prefix="xltools-serve-bench-"))
    home = tmp / "intake"
    codes = [f"{400001 + i}" for i in range(args.clerks)]
    roster = tmp / "roster.csv"
    roster.write_text("单位编码,单位名称\n" + "".join(f"{c},单位{c}\n" for c in codes), encoding="utf-8")
    books = {}
    for i, c in enumerate(codes):
        p = tmp / f"{c}.xlsx"
        write_template(ed, p, cover_data(ed, c, f"单位{c}", synth.department(ed, i)))
        books[c] = p.read_bytes()

    from xltools.server import ops

    ops.init(home, roster, ed.id, ed.year, "", "", secrets.token_urlsafe(12))
    from xltools.server.models import Department, UploadLink

    tokens = {}
    for c in codes:
        tokens[c] = secrets.token_urlsafe(16)
        UploadLink.objects.create(
            department=Department.objects.get(code=c), token_sha256=UploadLink.hash_token(tokens[c])
        )

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "xltools",
            "serve",
            "run",
            str(home),
            "--port",
            str(port),
            "--insecure-cookies",
            "--workers",
            str(args.workers),
            "--threads",
            str(args.threads),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    peak = [0.0]
    stop = threading.Event()
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                Session(port).get("/login/")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

        def sample() -> None:
            while not stop.is_set():
                peak[0] = max(peak[0], tree_rss_mb(server.pid))
                time.sleep(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        results: dict[str, dict] = {}
        barrier = threading.Barrier(len(codes))
        threads = [threading.Thread(target=clerk, args=(port, c, tokens[c], books[c], barrier, results)) for c in codes]
        tree_rss_mb(server.pid)
        cpu_before = sum(CPU_SEEN.values())
        load_before = os.getloadavg()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        load_after = os.getloadavg()
        stop.set()
        sampler.join()
        tree_rss_mb(server.pid)
        cpu_used = sum(CPU_SEEN.values()) - cpu_before
    finally:
        server.terminate()
        server.wait(30)

    from xltools.server import storage
    from xltools.server.models import DONE, AuditEvent, Version

    times = sorted(r["seconds"] for r in results.values() if "seconds" in r)
    lost = []
    for c in codes:
        vs = list(Version.objects.filter(department__code=c))
        ok = (
            len(vs) == 1
            and vs[0].state == DONE
            and storage.blob_path(vs[0].sha256).exists()
            and storage.report_path(vs[0].pk, "html").exists()
            and AuditEvent.objects.filter(action="upload", department_code=c, sha256=vs[0].sha256).exists()
        )
        if not ok:
            lost.append(c)
    span = max(r["t1"] for r in results.values() if "t1" in r) - min(r["t0"] for r in results.values() if "t0" in r)
    q = statistics.quantiles(times, n=20) if len(times) >= 2 else times
    summary = {
        "clerks": args.clerks,
        "checker_processes": args.workers,
        "waitress_threads": args.threads,
        "completed": len(times),
        "median_s": round(statistics.median(times), 3),
        "p95_s": round(q[18] if len(q) >= 19 else max(times), 3),
        "max_s": round(max(times), 3),
        "uploads_per_s": round(len(times) / span, 2),
        "peak_rss_mb": round(peak[0], 1),
        "server_cpu_s": round(cpu_used, 2),
        "server_cpu_ms_per_upload": round(1000 * cpu_used / max(len(times), 1), 1),
        "lost": lost,
        "cpus": os.cpu_count(),
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in load_after],
    }
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    if args.json:
        args.json.write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
