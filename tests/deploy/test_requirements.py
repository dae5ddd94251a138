"""Which list installs what: the production image gets the bot's list and nothing of the emulators.

requirements-bot.txt is all the Docker image installs; requirements.txt (the README's first
command) adds emulators/requirements.txt for the offline demo; emulators/pyproject.toml declares
the emulators' own dependencies with the same pins. These tests read the imports themselves, so a
product module importing a package that only the checkout installs fails here, not in production.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

from tests.reliability.conftest import ROOT

PRODUCT = ("bot", "handlers", "jobs", "meta", "storage")
EMULATORS = ROOT / "emulators"


def _name(requirement: str) -> str:
    """The canonical distribution name of ``NAME[extra]==X`` (PEP 503 normalisation)."""
    bare = re.split(r"[\[=<>!~;\s]", requirement.strip(), maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", bare).lower()


def _pins(path: Path) -> dict[str, str]:
    """``{name: pin line}`` of a requirements file, following its ``-r`` includes."""
    pins: dict[str, str] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if line.startswith("-r "):
            pins.update(_pins(path.parent / line[3:].strip()))
        elif line:
            pins[_name(line)] = line
    return pins


def _third_party_imports(*folders: Path) -> set[str]:
    """Distributions providing the top-level modules imported under ``folders``."""
    first_party = {*PRODUCT, "sandbox", "tests"}
    modules: set[str] = set()
    for folder in folders:
        for file in folder.rglob("*.py"):
            for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    modules.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules.add(node.module.split(".")[0])
    modules -= first_party | set(sys.stdlib_module_names)
    providers = importlib.metadata.packages_distributions()
    missing = sorted(m for m in modules if m not in providers)
    assert not missing, f"imported but installed by no distribution: {missing}"
    return {_name(dist) for m in modules for dist in providers[m]}


def test_product_code_imports_only_what_the_image_installs():
    bot_list = _pins(ROOT / "requirements-bot.txt")
    imported = _third_party_imports(*(ROOT / name for name in PRODUCT))
    assert imported - set(bot_list) == set(), "pin these in requirements-bot.txt"


def test_the_emulators_extra_list_holds_only_what_product_code_never_imports():
    extra = set(_pins(EMULATORS / "requirements.txt"))
    assert extra, "emulators/requirements.txt pins nothing"
    assert extra <= _third_party_imports(EMULATORS / "sandbox")
    assert extra.isdisjoint(_third_party_imports(*(ROOT / name for name in PRODUCT)))
    assert extra.isdisjoint(_pins(ROOT / "requirements-bot.txt")), "the image would install it"


def test_the_readme_list_is_the_bot_plus_the_emulators():
    assert _pins(ROOT / "requirements.txt") == {
        **_pins(ROOT / "requirements-bot.txt"),
        **_pins(EMULATORS / "requirements.txt"),
    }


def test_the_emulators_package_declares_what_it_imports_with_the_checkouts_pins():
    project = tomllib.loads((EMULATORS / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = {_name(req): req for req in project["dependencies"]}
    assert set(declared) == _third_party_imports(EMULATORS / "sandbox")
    checkout = _pins(ROOT / "requirements.txt")
    assert {name: checkout.get(name) for name in declared} == declared


def test_the_image_installs_the_bot_list_and_copies_no_emulators():
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    installs = re.findall(r"^RUN pip install (.+)$", dockerfile, flags=re.MULTILINE)
    assert installs == ["-r requirements-bot.txt"]
    assert "-r " not in (ROOT / "requirements-bot.txt").read_text(encoding="utf-8")
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {"emulators/", "tests/", "bench/", "requirements.txt", "requirements-dev.txt"} <= ignored
    assert not any(line.startswith("!") and "emulators" in line for line in ignored)


def _locked() -> dict[str, str]:
    """``{name: version}`` of requirements-dev.lock. Only transitive packages can be forked by
    Python version (a listed ``==`` pin has one version); for those the last pin is kept."""
    text = (ROOT / "requirements-dev.lock").read_text(encoding="utf-8")
    return {
        _name(name): version
        for name, version in re.findall(r"^([A-Za-z0-9][\w.\-]*)==([^\s;\\]+)", text, re.MULTILINE)
    }


def test_the_lock_pins_every_listed_package_at_its_listed_version():
    listed = {
        name: line.split("==", 1)[1] for name, line in _pins(ROOT / "requirements-dev.txt").items()
    }
    locked = _locked()
    stale = {name: (version, locked.get(name)) for name, version in listed.items()}
    stale = {name: pair for name, pair in stale.items() if pair[0] != pair[1]}
    assert not stale, f"(listed, locked) differ: {stale}; refresh the lock (CONTRIBUTING.md)"


def test_every_locked_package_carries_hashes():
    text = (ROOT / "requirements-dev.lock").read_text(encoding="utf-8")
    entries = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2])
    # One entry per pin line; a package may have two, forked by Python version (markers).
    assert len(entries) == len(re.findall(r"^[A-Za-z0-9][\w.\-]*==", text, re.MULTILINE))
    assert all("--hash=sha256:" in entry for entry in entries)
