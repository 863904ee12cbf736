"""The project as a city's IT department receives it: production settings and migrations."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent


def manage(*args, **env):
    # DJANGO_ALLOW_ASYNC_UNSAFE is set by tests/browser/conftest.py for Playwright; production never has it.
    unset = ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE")
    environment = {k: v for k, v in os.environ.items() if k not in unset}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True
    )


def test_deploy_check_is_clean_with_production_variables():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY="k8Zq2v9Lr4Xw7Tn1Bc6Hy3Jm5Pd0Fg8Sa2Ue4Wi7Oq9Rt1Yz3Xc5Vb7Nm9Lk",
        ALLOWED_HOSTS="saihan.example.lg.jp",
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_deploy_check_flags_the_development_key():
    result = manage("check", "--deploy", DEBUG="0", ALLOWED_HOSTS="saihan.example.lg.jp")
    assert "security.W009" in result.stderr + result.stdout


def test_debug_refuses_an_unclear_value():
    result = manage("check", DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG must be true or false" in result.stderr


@pytest.mark.django_db
def test_models_and_migrations_agree():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def imported_modules(app: str) -> set[str]:
    import ast

    names = set()
    for path in (ROOT / app).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
            elif isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
    return names


def test_dependencies_point_one_way():
    assert not imported_modules("plans") & {"measures", "councils"}
    assert "councils" not in imported_modules("measures")
