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


@pytest.mark.parametrize("redis_url", ["", "redis://127.0.0.1:6379/0"], ids=["database", "redis"])
def test_deploy_check_is_clean_with_production_variables_with_or_without_redis(redis_url):
    """The README's production setup: several workers share the rate limits' counts in the database (or Redis)."""
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY="k8Zq2v9Lr4Xw7Tn1Bc6Hy3Jm5Pd0Fg8Sa2Ue4Wi7Oq9Rt1Yz3Xc5Vb7Nm9Lk",
        ALLOWED_HOSTS="saihan.example.lg.jp",
        TRUSTED_PROXIES="127.0.0.1",
        REDIS_URL=redis_url,
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize("variables, refusal", [
    ({"CLIENT_IP_HEADER": "HTTP_X_FORWARDED_FOR"}, "CLIENT_IP_HEADER is no longer read"),
    ({"TRUSTED_PROXIES": "*"}, "TRUSTED_PROXIES must name the proxies"),
    ({"TRUSTED_PROXIES": "proxy.example.lg.jp"}, "is not an IP address or network"),
])
def test_a_client_address_setting_that_would_believe_anyone_is_refused(variables, refusal):
    result = manage("check", **variables)
    assert result.returncode != 0
    assert refusal in result.stderr


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


# The machinery the three apps share, kept in reoffense_portal/ beside the packages that compose them.
SHARED_MACHINERY = {
    "reoffense_portal.charts",
    "reoffense_portal.eras",
    "reoffense_portal.object_storage",
    "reoffense_portal.limits",
    "reoffense_portal.jobs",
    "reoffense_portal.numbers",
    "reoffense_portal.scoping",
    "reoffense_portal.spreadsheets",
    "reoffense_portal.text",
    "reoffense_portal.uploads",
    "reoffense_portal.widget_renderer",
}


def imported_modules(place: str, depth: int = 1) -> set[str]:
    """The absolute imports of a folder or a module, cut to their first `depth` names."""
    import ast

    path = ROOT / place
    paths = path.rglob("*.py") if path.is_dir() else [path.with_suffix(".py")]
    names = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                modules = [f"{node.module}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            else:
                continue
            names.update(".".join(module.split(".")[:depth]) for module in modules)
    return names


def test_dependencies_point_one_way():
    assert not imported_modules("plans") & {"measures", "councils"}
    assert "councils" not in imported_modules("measures")
    for app in ("plans", "measures", "councils"):
        above = {m for m in imported_modules(app, depth=2) if m.startswith("reoffense_portal")}
        assert above <= SHARED_MACHINERY, app


def test_the_shared_machinery_serves_every_app_and_composes_none():
    for machinery in SHARED_MACHINERY:
        place = machinery.replace(".", "/")
        assert not imported_modules(place) & {"measures", "councils"}, machinery
        above = {m for m in imported_modules(place, depth=2) if m.startswith("reoffense_portal")}
        assert above <= SHARED_MACHINERY, machinery


LOOKUPS = {"get_field", "getattr", "prefetch_related", "select_related", "Prefetch", "filter", "values"}


def relation_lookups(app: str) -> set[str]:
    """Attribute names the app's code reads, and the strings it hands to model lookups (get_field, prefetches…)."""
    import ast

    names = set()
    for path in (ROOT / app).rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute):
                names.add(node.attr)
            elif isinstance(node, ast.Call):
                function = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                if function in LOOKUPS:
                    names.update(arg.value.split("__")[0] for arg in node.args
                                 if isinstance(arg, ast.Constant) and isinstance(arg.value, str))
    return names


def test_no_app_reaches_an_app_above_it_through_meta_lookups():
    """The names of the relations from an upper app into a lower one (plans.Plan.priority_areas, …) never
    appear in the lower app's code: no `_meta.get_field("councils").related_model` around the import rule."""
    from django.apps import apps

    order = ["plans", "measures", "councils"]
    for lower_index, lower in enumerate(order):
        reverse_names = {
            field.remote_field.get_accessor_name()
            for upper in order[lower_index + 1:]
            for model in apps.get_app_config(upper).get_models()
            for field in model._meta.get_fields()
            if field.many_to_one or field.many_to_many
            if getattr(field, "related_model", None) and field.related_model._meta.app_label == lower
            and not field.auto_created and not field.remote_field.hidden
        }
        assert not reverse_names & relation_lookups(lower), lower


def test_every_installed_package_is_locked_with_its_hashes():
    """What `make` installs is what the lock names, byte for byte: every requirement pinned and hashed."""
    lock = (Path(__file__).resolve().parent.parent / "requirements.lock").read_text()
    requirements = [line for line in lock.splitlines() if line and not line.startswith((" ", "#"))]
    assert requirements
    for requirement in requirements:
        assert "==" in requirement and requirement.endswith("\\"), f"{requirement} is not pinned with a hash"
    pinned = {line.split("==")[0].lower() for line in requirements}
    assert {"django", "defusedxml", "django-tasks", "weasyprint", "setuptools"} <= pinned


def test_spreadsheets_are_parsed_with_defusedxml():
    """openpyxl reads .xlsx through defusedxml when it is installed, refusing XML bombs (billion laughs)."""
    from openpyxl.xml import DEFUSEDXML

    assert DEFUSEDXML
