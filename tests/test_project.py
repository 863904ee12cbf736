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


# The floors, lowest first: a module imports only its own floor and those below it. The roof is
# reoffense_portal's own modules (settings, URLs, the admin site, backups), which assemble everything.
FLOORS = (
    "reoffense_portal.machinery",
    "plans",
    "measures",
    "councils",
    "reoffense_portal.composition",
    "reoffense_portal",
)
MODEL_LOOKUPS = {"get_model", "get_app_config"}


def project_modules() -> dict[str, Path]:
    """Every module of every package of the product, by its dotted name (a package by its __init__)."""
    modules = {}
    for package in {floor.split(".")[0] for floor in FLOORS}:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def floor_of(module: str) -> int:
    return next(i for i, floor in enumerate(FLOORS) if module == floor or module.startswith(floor + "."))


def imported_names(module: str, path: Path) -> set[str]:
    """What a module imports, wherever the import is (a function's too), and the apps it looks models up in."""
    import ast

    from django.apps import apps

    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + [base] if base else anchor)
            names.update(f"{base}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Call) and "migrations" not in path.parts:
            function = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            label = node.args[0].value if node.args and isinstance(node.args[0], ast.Constant) else None
            if function in MODEL_LOOKUPS and isinstance(label, str):
                names.add(apps.get_app_config(label.split(".")[0]).name + ".models")
    return names


def import_graph() -> dict[str, set[str]]:
    """Module → the project's modules it imports (an import of a name inside a module counts as the module)."""
    modules = project_modules()

    def resolved(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    return {
        module: {target for name in imported_names(module, path) if (target := resolved(name)) not in (None, module)}
        for module, path in modules.items()
    }


def import_cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm, without recursion)."""
    index, low, on_stack, stack, cycles = {}, {}, set(), [], []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            module, targets = work[-1]
            target = next(targets, None)
            if target is not None:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph[target]))))
                elif target in on_stack:
                    low[module] = min(low[module], index[target])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[module])
            if low[module] == index[module]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == module:
                        break
                if len(component) > 1:
                    cycles.append(component)
    return cycles


def test_every_module_belongs_to_a_floor():
    for module in project_modules():
        assert floor_of(module) is not None, module


def test_no_module_imports_a_floor_above_its_own():
    """machinery < plans < measures < councils < composition < the roof: arrows only point down (or sideways)."""
    upward = sorted(
        f"{module} → {target}"
        for module, targets in import_graph().items()
        for target in targets
        if floor_of(target) > floor_of(module)
    )
    assert not upward, "imports of a higher floor:\n" + "\n".join(upward)


def test_no_modules_import_each_other_even_through_others():
    """No cycle at all, function-level imports and model lookups by name included."""
    cycles = [" ⇄ ".join(sorted(cycle)) for cycle in import_cycles(import_graph())]
    assert not cycles, "modules that import each other:\n" + "\n".join(cycles)


def test_the_cycle_finder_sees_a_cycle_through_several_modules():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set()}
    assert import_cycles(graph) == [{"a", "b", "c"}]


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


def test_the_plan_admin_is_composed_and_registered_in_one_place():
    """One registration of the plan's admin, whatever the order of INSTALLED_APPS; nothing unregisters it."""
    from django.contrib import admin

    from plans.models import Plan
    from reoffense_portal.composition.plan_admin import PlanAdmin

    places = {
        module
        for module, path in project_modules().items()
        if "migrations" not in path.parts
        for line in path.read_text().splitlines()
        if "register(Plan" in line.replace(" ", "")
    }
    assert places == {"reoffense_portal.composition.plan_admin"}
    assert type(admin.site.get_model_admin(Plan)) is PlanAdmin
