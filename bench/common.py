"""What every benchmark under bench/ needs: a bench database dropped and made again, Django set up
on it as the demo runs (tasks in process, DEBUG off), SQL sent straight, the machine described, and
its own section of docs/benchmarks.md written again."""

from __future__ import annotations

import contextlib
import os
import platform
import warnings
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

PROTECTED_DATABASES = {"postgres", "template0", "template1", "pension", "test_pension", "test", "root"}


def recreate_database(url: str) -> str:
    """Drop and create the database `url` names; only a name containing "bench" is dropped."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name or "bench" not in name or name in PROTECTED_DATABASES:
        raise SystemExit(f"refusing to drop database {name!r}: the bench database's name must contain 'bench'")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return name


def setup_django(url: str, scratch: Path | None = None) -> None:
    """The demo's settings on the bench database: no broker (Celery runs tasks in process, as `make
    run` does), DEBUG off (it would record every query), private files under `scratch`."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.dev"
    os.environ["DATABASE_URL"] = url
    os.environ["REDIS_URL"] = ""
    os.environ["DEBUG"] = "false"
    os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
    if scratch is not None:
        os.environ["PRIVATE_FILES_ROOT"] = str(scratch)
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    warnings.filterwarnings("ignore", message="No directory at")  # staticfiles/ is made by collectstatic
    django.setup()
    from django.conf import settings

    assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def sql_exec(statement: str, params: list | None = None) -> list[tuple]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


def machine() -> dict[str, object]:
    memory = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    cpu = platform.processor() or "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    import django

    return {
        "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu": cpu,
        "memory": memory,
        "postgres": sql_exec("SHOW server_version")[0][0],
        "python": platform.python_version(),
        "django": django.get_version(),
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def write_section(path: Path, body: str, *, script: str, title: str) -> None:
    """Replace the section of `script` in the Markdown file (appended the first time)."""
    begin, end = f"<!-- bench/{script}: begin -->", f"<!-- bench/{script}: end -->"
    section = f"{begin}\n{title}\n\n{body.rstrip(chr(10))}\n{end}"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        text = head + section + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text, encoding="utf-8")
