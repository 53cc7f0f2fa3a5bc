"""Set-up names every system package the press uses (scripts/press/system.py, read by setup.sh):
every program the code runs and every shared library WeasyPrint loads is there, with the package
that really provides it on this machine."""
from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from press import system

ROOT = Path(__file__).resolve().parents[1]
CODE = ROOT / "scripts" / "press"
# Programs that are not system packages: pandoc comes in pypandoc-binary, ots-sanitize in
# opentype-sanitizer, Python is the venv's, the npm validators are run by node (named), chromium
# is found through a variable (named).
NOT_SYSTEM = {"pandoc_path", "OTS_SANITIZE", "executable"}


def _constants(node) -> list[str]:
    return [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def programs_the_code_runs() -> dict[str, str]:
    """{program: where} for every subprocess call's program and every shutil.which() name."""
    found: dict[str, str] = {}
    for path in sorted(CODE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assigned = {t.id: v for n in tree.body if isinstance(n, ast.Assign)
                    for t in n.targets if isinstance(t, ast.Name) for v in [n.value]}
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            args = node.args
            if name == "which" and args and isinstance(args[0], ast.Constant):
                found[args[0].value] = where
            elif name in ("run", "Popen", "check_output", "check_call") and args \
                    and getattr(node.func, "value", None) is not None and getattr(node.func.value, "id", "") == "subprocess":
                first = args[0]
                executable = next((k.value for k in node.keywords if k.arg == "executable"), None)
                if executable is not None:  # the program run; args[0] is only the name it is given
                    first = executable
                if isinstance(first, ast.List) and first.elts:
                    first = first.elts[0]
                elif isinstance(first, ast.Name) and isinstance(assigned.get(first.id), ast.List):
                    first = assigned[first.id].elts[0]  # cmd = [PROGRAM, ...] at module level
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    found[first.value] = where
                elif isinstance(first, ast.Name) and first.id in assigned:
                    paths = [c for c in _constants(assigned[first.id]) if c.startswith("/")]
                    if paths:
                        found[Path(paths[0]).name] = where
                    else:
                        found.setdefault(f"<{first.id}>", where)
                elif isinstance(first, ast.Call) and getattr(first.func, "id", getattr(first.func, "attr", "")) == "str":
                    pass  # str(exe): a file of the project's (node_modules/.bin), run by node
                elif isinstance(first, (ast.Call, ast.Attribute)):
                    callee = getattr(first, "attr", None) or getattr(getattr(first, "func", None), "id", "")
                    if callee not in NOT_SYSTEM:
                        found.setdefault(f"<{callee}>", where)
    return found


def test_every_program_the_code_runs_is_named_with_its_package():
    found = programs_the_code_runs()
    assert {"hunspell", "fc-list", "java"} <= set(found), found  # the scan itself works
    unnamed = {p: w for p, w in found.items() if p not in system.PROGRAMS}
    assert not unnamed, f"programs run by the press but not named in scripts/press/system.py: {unnamed}"


def _weasyprint_sonames() -> dict[str, bool]:
    """{soname: optional} for every library WeasyPrint opens with cffi."""
    import weasyprint.text.ffi as ffi
    source = Path(ffi.__file__).read_text(encoding="utf-8")
    out = {}
    for call in re.finditer(r"_dlopen\((.*?)\)\n", source, re.S):
        names = re.findall(r"'(lib[\w.+-]+\.so\.\d+)'", call.group(1))
        if names:
            out[names[0]] = "allow_fail=True" in call.group(1)
    return out


def test_every_library_weasyprint_loads_is_named():
    sonames = _weasyprint_sonames()
    assert "libpango-1.0.so.0" in sonames and "libharfbuzz-subset.so.0" in sonames, sonames
    unnamed = [s for s in sonames if s not in system.LIBRARIES and s not in system.OPTIONAL_LIBRARIES]
    assert not unnamed, f"WeasyPrint loads {unnamed}, which scripts/press/system.py does not name"


def _dpkg_owner(path: str) -> str | None:
    proc = subprocess.run(["dpkg", "-S", os.path.realpath(path)], capture_output=True, text=True)
    return proc.stdout.split(":")[0].strip() if proc.returncode == 0 else None


def _depends(package: str) -> set[str]:
    proc = subprocess.run(["apt-cache", "depends", "--important", package], capture_output=True, text=True)
    return {m.split(":")[0] for m in re.findall(r"Depends: <?([\w.+:-]+)>?", proc.stdout)}


@pytest.mark.skipif(not shutil.which("dpkg"), reason="a Debian machine: dpkg tells which package owns a file")
def test_the_named_packages_provide_the_programs_and_libraries():
    wrong = []
    for program, (package, _stage) in system.PROGRAMS.items():
        path = shutil.which(program)
        owner = path and _dpkg_owner(path)
        if owner and owner != package and owner not in _depends(package):
            wrong.append(f"{program}: {path} comes from {owner}, system.py names {package}")
    ldconfig = subprocess.run(["/sbin/ldconfig", "-p"], capture_output=True, text=True).stdout
    for soname, package in system.LIBRARIES.items():
        m = re.search(rf"^\s*{re.escape(soname)} .*=> (\S+)$", ldconfig, re.M)
        assert m, f"{soname} is not installed: scripts/setup.sh should have installed {package}"
        owner = _dpkg_owner(m.group(1))
        if owner and owner != package:
            wrong.append(f"{soname}: {m.group(1)} comes from {owner}, system.py names {package}")
    assert not wrong, wrong


@pytest.mark.skipif(not shutil.which("dpkg"), reason="a Debian machine: dpkg tells which package owns a file")
def test_the_webkit_renders_packages_are_named_with_a_file_of_theirs():
    for pattern, (package, stage) in system.WEBKIT.items():
        proc = subprocess.run(["dpkg", "-S", pattern], capture_output=True, text=True)
        owners = {line.split(":")[0] for line in proc.stdout.splitlines()}
        assert package in owners, f"{pattern}: owned by {owners or 'no package'}, system.py names {package}"
        assert package in system.packages(stage, [])


def test_setup_installs_what_system_py_lists():
    setup = (ROOT / "scripts" / "setup.sh").read_text(encoding="utf-8")
    assert "scripts/press/system.py packages" in setup
    listed = set(system.packages("test", [ROOT / "tests" / "fixtures" / "book" / "book.yaml"]))
    assert {"libharfbuzz-subset0", "hunspell-en-gb", "fonts-ebgaramond"} <= listed


@pytest.mark.parametrize("lang, package", [("nl", "hunspell-nl"), ("en-GB", "hunspell-en-gb"),
                                           ("en", "hunspell-en-us"), ("de-CH-1996", "hunspell-de-ch"),
                                           ("tlh", None)])
def test_the_dictionary_follows_the_book_language(lang, package):
    assert system.dictionary_package(lang) == package


def test_the_test_stage_brings_libreoffice_with_its_writer():
    """The Word documents' test converts them with LibreOffice: soffice alone cannot read .docx."""
    assert system.PROGRAMS["soffice"][1] == "test"
    assert "libreoffice-writer-nogui" in system.packages("test", []) and \
        "libreoffice-writer-nogui" not in system.packages("tools", [])
