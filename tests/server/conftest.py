"""One intake instance per test process (Django is configured once per process): SQLite in a temporary
folder, or a fresh PostgreSQL database when XLTOOLS_TEST_DATABASE_URL names a server. Checking runs in
threads here (the server uses worker processes; tests/server/test_reliability.py covers those)."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("django")

from tests.robustness import corpus  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "longyao-cac-2020.xlsx"
BROKEN = REPO / "examples" / "longyao-cac-2020.as-published.xlsx"
EXAMPLE_CODE = "288002"
OTHER_CODE = "288003"
THIRD_CODE = "288004"
PASSWORD = "correct-horse-battery-9"
EDITION = "hebei-county-2020"


def _postgres_database(url: str) -> str:
    """A fresh database on the server for this process; its URL."""
    import psycopg

    name = f"xltools_test_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return re.sub(r"/[^/?]*(\?|$)", f"/{name}\\1", url.rstrip("/"), count=1) if url.count("/") > 2 else url + "/" + name


@pytest.fixture(scope="session")
def intake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    from xltools.server import ops
    from xltools.server.config import configure

    home = tmp_path_factory.mktemp("intake")
    roster = home.parent / f"{home.name}-roster.csv"
    roster.write_text(
        "单位编码,单位名称\n"
        f"{EXAMPLE_CODE},中共隆尧县委网络安全和信息化委员会办公室\n{OTHER_CODE},县教育局\n{THIRD_CODE},县卫生健康局\n",
        encoding="utf-8",
    )
    url = os.environ.get("XLTOOLS_TEST_DATABASE_URL", "")
    if url:
        url = _postgres_database(url)
    configure(home, url, hosts=("testserver",))
    from django.conf import settings

    # The framework's own PBKDF2 with fewer rounds: the same hashing, without a second per login in tests.
    settings.PASSWORD_HASHERS = ["tests.server.conftest.QuickPBKDF2"]
    ops.init(home, roster, EDITION, 2020, "2099-12-31", url, PASSWORD)
    from xltools.server.jobs import Checker, install

    checker = install(Checker(workers=2, processes=False))
    yield home
    checker.shutdown()
    if url:
        import psycopg
        from django.db import connections

        connections.close_all()
        name = url.rsplit("/", 1)[1]
        with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


try:
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    class QuickPBKDF2(PBKDF2PasswordHasher):
        iterations = 1000
except ImportError:  # pragma: no cover - without Django the module is skipped above
    pass


def workbook_for(code: str, folder: Path, name: str = "", broken: bool = False) -> Path:
    """The bundled example re-written for another department (its cover code and name)."""
    from xltools.edition import load_edition
    from xltools.server.prefill import cover_data
    from xltools.template.write import write_template

    if code == EXAMPLE_CODE:
        src = BROKEN if broken else EXAMPLE
        dest = folder / f"{code}{'-broken' if broken else ''}.xlsx"
        shutil.copyfile(src, dest)
        return dest
    data = cover_data(load_edition(EDITION), code, name or f"单位{code}", corpus.example_data())
    dest = folder / f"{code}.xlsx"
    write_template(load_edition(EDITION), dest, data)
    return dest


def with_warning(folder: Path, broken: bool = False, code: str = EXAMPLE_CODE) -> Path:
    """The example with one warning that its correction leaves: 表3's row 2013602 named 一般行政事务 instead of
    its code's 一般行政管理事务 (cell.code-name-mismatch; the corrected example itself has no warning). broken:
    also 房屋 0 m² under 办公用房 37.7 m², the as-published error. code: another department's cover."""
    from xltools.edition import load_edition
    from xltools.server.prefill import cover_data
    from xltools.template.write import write_template

    data = corpus.example_data()
    if code != EXAMPLE_CODE:
        data = cover_data(load_edition(EDITION), code, f"单位{code}", data)
    assert data["t03"][3]["code"] == "2013602"
    data["t03"][3]["name"] = "一般行政事务"
    if broken:
        data["assets"]["housing"]["quantity"] = 0
    dest = folder / f"{code}-warning{'-broken' if broken else ''}.xlsx"
    write_template(load_edition(EDITION), dest, data)
    return dest


def make_user(username: str, role: str, code: str = "") -> Any:
    from django.contrib.auth import get_user_model

    from xltools.server.models import Department, Profile

    User = get_user_model()
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User.objects.create_user(username, password=PASSWORD)
        Profile.objects.create(user=user, role=role, department=Department.objects.get(code=code) if code else None)
    return user


def client_as(username: str, role: str = "clerk", code: str = "") -> Any:
    from django.test import Client

    make_user(username, role, code)
    c = Client()
    r = c.post("/login/", {"username": username, "password": PASSWORD})
    assert r.status_code == 302, r.content.decode()[:500]
    return c


def upload(client: Any, code: str, path: Path) -> Any:
    with open(path, "rb") as fh:
        return client.post(f"/d/{code}/upload/", {"file": fh})


def wait() -> None:
    from xltools.server.jobs import checker

    assert checker().wait(120)


def reset(code: str) -> None:
    """Put a department back to 未报送 (tests share one instance)."""
    from xltools.server.models import DRAFT, Department

    Department.objects.filter(code=code).update(state=DRAFT, submitted_version=None)
