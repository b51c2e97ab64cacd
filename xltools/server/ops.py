"""What the `xltools serve` subcommands do: init, run, demo, backup."""

from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .. import texts
from ..errors import OutputError, XltoolsError
from .config import Instance, config_path, configure, read_instance, write_instance

LOOPBACK = ("127.0.0.1", "localhost", "::1")


class ServeError(XltoolsError):
    exit_code = 2


def _t(key: str, **kw: object) -> str:
    return texts.text(f"server.cli.{key}", **kw)


def migrate_db() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def init(
    home: Path,
    roster: Path,
    edition: str,
    year: int,
    deadline: str = "",
    database_url: str = "",
    admin_password: str = "",
    admin_name: str = "admin",
) -> Instance:
    from ..edition import load_edition
    from ..merge.roster import read_roster

    home = Path(home)
    if config_path(home).exists():
        raise OutputError(_t("init_exists", home=home))
    ed = load_edition(edition, year)  # a clear error for an unknown edition before anything is written
    entries = read_roster(roster).entries
    if len(admin_password) < 10:
        raise ServeError(_t("short_password"))
    home.mkdir(parents=True, exist_ok=True)
    inst = Instance(ed.id, ed.year, deadline, database_url)
    write_instance(home, inst)
    configure(home, database_url)
    migrate_db()
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from . import audit
    from .models import ROLE_ADMIN, Department, Profile

    with transaction.atomic():
        User = get_user_model()
        user = User.objects.create_superuser(admin_name, "", admin_password)
        Profile.objects.create(user=user, role=ROLE_ADMIN)
        for e in entries:
            Department.objects.get_or_create(code=e.code, defaults={"name": e.name})
        audit.record("init", None, who="cli", edition=ed.id, year=ed.year, departments=len(entries))
    return inst


def attach_last_year(home: Path, folder: Path) -> int:
    """Keep last year's workbooks (matched to departments by the 单位编码 on their cover) for migration."""
    from ..reader.read import read_workbook
    from . import storage
    from .models import Department
    from .prefill import submitted_unit

    n = 0
    for path in sorted(Path(folder).glob("*.xls[xm]")):
        try:
            book = read_workbook(path).book
        except XltoolsError:
            continue
        code = submitted_unit(book)[0]
        dept = Department.objects.filter(code=code).first()
        if dept is None:
            continue
        tmp = storage.temp_file(path.suffix)
        shutil.copyfile(path, tmp)
        sha = storage.sha256_of(tmp)
        storage.store(tmp, sha)
        dept.last_year_sha256 = sha
        dept.save(update_fields=["last_year_sha256"])
        n += 1
    return n


def wsgi_app(
    home: Path, hosts: tuple[str, ...] = (), secure_cookies: bool = True, workers: int = 2, processes: bool = True
) -> Callable[..., object]:
    configure(home, hosts=hosts, secure_cookies=secure_cookies)
    migrate_db()  # a newer xltools brings its schema changes as migrations
    from django.core.wsgi import get_wsgi_application

    from .jobs import Checker, install

    checker = install(Checker(workers=workers, processes=processes))
    checker.warm()
    checker.resume()
    return get_wsgi_application()


def run(
    home: Path,
    host: str,
    port: int,
    secure_cookies: bool = True,
    threads: int = 32,
    workers: int = 2,
    echo: Callable[[str], None] = print,
    ready: Callable[[], None] | None = None,
) -> None:
    """ready: called once the port is bound (the demo then says where to log in), never before a refusal."""
    from django.conf import settings

    if not config_path(home).exists():
        raise ServeError(_t("not_initialised", home=home))
    app = wsgi_app(
        home, hosts=(host,) if host not in ("0.0.0.0", "::") else ("*",), secure_cookies=secure_cookies, workers=workers
    )
    try:
        server = _listen(app, host, port, threads, settings.XLTOOLS_MAX_UPLOAD + 1024 * 1024)
        if host not in LOOPBACK:
            echo(_t("non_loopback", host=host))
        echo(_t("running", host=host, port=port))
        if ready is not None:
            ready()
        _stop_on_terminate()
        server.run()
    finally:
        from .jobs import checker

        checker().stop()  # checks not yet started stay queued in the database for the next start


def _listen(app: Callable[..., object], host: str, port: int, threads: int, max_body: int) -> Any:
    """waitress bound to host:port, or a ServeError saying why not: a port in use or refused is the
    machine's state, for the bureau to change, not an internal error."""
    import errno

    import waitress

    try:
        return waitress.create_server(
            app,
            host=host,
            port=port,
            threads=threads,
            max_request_body_size=max_body,
            ident="xltools",
            clear_untrusted_proxy_headers=True,
            recv_bytes=65536,  # an upload arrives in a few reads, not one per 8 KB of its body
        )
    except OSError as e:
        codes = {
            errno.EADDRINUSE: "port_in_use",
            getattr(errno, "WSAEADDRINUSE", -1): "port_in_use",
            errno.EACCES: "port_denied",
            getattr(errno, "WSAEACCES", -1): "port_denied",
            errno.EADDRNOTAVAIL: "no_such_address",
            getattr(errno, "WSAEADDRNOTAVAIL", -1): "no_such_address",
        }
        key = codes.get(e.errno, "cannot_listen") if e.errno is not None else "cannot_listen"
        raise ServeError(_t(key, host=host, port=port, detail=e.strerror or str(e))) from None


def _stop_on_terminate() -> None:
    """A service manager's stop (SIGTERM) ends the server as Ctrl-C does: waitress closes, a demo's folder is
    removed, and the checking processes end (they also end by themselves when the server is killed)."""
    import signal
    import threading

    if hasattr(signal, "SIGTERM") and threading.current_thread() is threading.main_thread():

        def stop(_signum: int, _frame: object) -> None:
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, stop)


def demo(port: int, echo: Callable[[str], None] = print) -> None:
    from ..edition.load import DEFAULT_EDITION
    from ..reader.read import read_workbook
    from .prefill import submitted_unit

    example = Path(__file__).resolve().parents[2] / "examples" / "longyao-cac-2020.xlsx"
    with tempfile.TemporaryDirectory(prefix="xltools-demo-") as tmp:
        home = Path(tmp) / "intake"
        rows = [(str(c), str(n)) for c, n in texts.raw("server.demo.roster")]
        if example.exists():
            book = read_workbook(example).book
            rows.insert(0, submitted_unit(book))
            year = book.edition.year
        else:
            year = 2020
        roster = Path(tmp) / "roster.csv"
        roster.write_text("code,name\n" + "".join(f"{c},{n}\n" for c, n in rows), encoding="utf-8")
        password = secrets.token_urlsafe(9)
        import datetime as dt

        deadline = (dt.date.today() + dt.timedelta(days=20)).isoformat()
        init(home, roster, DEFAULT_EDITION, year, deadline, "", password)
        from django.contrib.auth import get_user_model

        from .models import ROLE_CLERK, ROLE_REVIEWER, Department, Profile

        User = get_user_model()
        reviewer = User.objects.create_user("reviewer", password=password)
        Profile.objects.create(user=reviewer, role=ROLE_REVIEWER)
        clerk_name = f"clerk{rows[0][0]}"
        clerk = User.objects.create_user(clerk_name, password=password)
        Profile.objects.create(user=clerk, role=ROLE_CLERK, department=Department.objects.get(code=rows[0][0]))

        def ready() -> None:
            echo(_t("demo_running", host="127.0.0.1", port=port, home=home))
            echo(_t("demo_accounts", password=password, clerk=clerk_name))
            if example.exists():
                echo(str(example))

        run(home, "127.0.0.1", port, echo=lambda _s: None, ready=ready)


def backup(home: Path, out: Path) -> tuple[str, int]:
    """A consistent copy: the database first (SQLite's online backup, safe while the server runs), then
    the files. Files are never changed or deleted once stored, so every row in the copy has its file."""
    home, out = Path(home), Path(out)
    if not config_path(home).exists():
        raise ServeError(_t("not_initialised", home=home))
    if out.exists():
        raise OutputError(_t("backup_exists", out=out))
    inst = read_instance(home)
    staging = out.with_name(f".{out.name}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        db = ""
        if not inst.database_url and not os.environ.get("XLTOOLS_DATABASE_URL"):
            src = sqlite3.connect(home / "db.sqlite3")
            dst = sqlite3.connect(staging / "db.sqlite3")
            with dst:
                src.backup(dst)
            src.close()
            dst.close()
            db = "db.sqlite3"
        n = 0
        for sub in ("files", "reports"):
            if (home / sub).is_dir():
                shutil.copytree(home / sub, staging / sub)
                n += sum(1 for p in (staging / sub).rglob("*") if p.is_file()) if sub == "files" else 0
        for name in (config_path(home).name, "secret_key"):
            if (home / name).exists():
                shutil.copy2(home / name, staging / name)
        os.replace(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return db, n
