"""The shape docs/architecture.md promises: apps import downward only, the ledger has one door,
the menu and the capabilities come from the apps themselves."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("insured", "payments", "subsidy", "collective", "refunds", "collection", "oversight")
# What each app may import of ours, besides itself.
ALLOWED = {
    "insured": set(),
    "payments": {"insured"},
    "subsidy": {"insured", "payments"},
    "collective": {"insured", "payments"},
    "refunds": {"insured", "payments"},
    "collection": {"insured", "payments"},
    # Reads the registry and the payments; never writes the ledger.
    "oversight": {"insured", "payments"},
}


def _sources(app: str) -> list[Path]:
    return [p for p in (ROOT / app).rglob("*.py") if "migrations" not in p.parts]


def _imported_apps(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names & set(APPS)


@pytest.mark.parametrize("app", APPS)
def test_apps_import_downward_only(app):
    wrong = {str(path.relative_to(ROOT)): sorted(_imported_apps(path) - ALLOWED[app] - {app}) for path in _sources(app)}
    assert {path: apps for path, apps in wrong.items() if apps} == {}


LEDGER_WRITE = re.compile(
    r"insured_(accountentry|personyear)"
    r"|(AccountEntry|PersonYear)\.objects\.(create|bulk_create|bulk_update|update|get_or_create|update_or_create)"
    r"|(AccountEntry|PersonYear)\(",
)


@pytest.mark.parametrize("app", [a for a in APPS if a != "insured"])
def test_only_insured_ledger_writes_the_accounts(app):
    offenders = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for path in _sources(app)
        for n, line in enumerate(path.read_text().splitlines(), start=1)
        if LEDGER_WRITE.search(line)
    ]
    assert offenders == []


def test_inside_insured_only_the_ledger_writes_entries_and_person_years():
    allowed = {"ledger.py", "ledger_audit.py", "models.py"}
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in _sources("insured")
        if path.name not in allowed
        for n, line in enumerate(path.read_text().splitlines(), start=1)
        if LEDGER_WRITE.search(line)
    ]
    assert offenders == []


def test_base_template_names_no_app_url():
    base = (ROOT / "templates" / "base.html").read_text()
    assert re.findall(r"\{% url '(?:" + "|".join(APPS) + r"):", base) == []


@pytest.mark.parametrize("app", [a for a in APPS if (ROOT / a / "urls.py").exists()])
def test_every_urls_module_has_an_app_name(app):
    for name in ("urls.py", "api_urls.py"):
        path = ROOT / app / name
        if path.exists():
            assert re.search(r"^app_name = ", path.read_text(), re.MULTILINE), path


def test_insured_names_no_capability_of_the_apps_above():
    access = (ROOT / "insured" / "access.py").read_text()
    assert not re.search(r"(payments|sponsorship|reconciliation|receivables|collective|refund)\.", access)


def test_every_app_registers_a_plugin():
    from insured import plugins

    registered = set(plugins._plugins)
    assert {"insured", "payments", "subsidy"} <= registered
