"""CATALOGUE.yaml: the catalogue's own metadata and the books it names, validated against a JSON
Schema with the same YAML loader and the same editor's messages as book.yaml (``file:line: CODE``).

A book is a manuscript folder, given as a path relative to the catalogue file, or as a git
repository with a ref (a tag, branch or commit) and optionally the folder inside it; a git book
is cloned into the catalogue's cache (``git/<name>``) and fetched again on every run unless the ref is a commit
already there.
"""
from __future__ import annotations

import hashlib
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .. import schema
from ..book import _load_yaml, display_path, read_text
from ..rules import ManuscriptError, finding


@dataclass(frozen=True)
class BookSource:
    name: str
    line: int                   # of its entry in the catalogue file
    path: Path | None = None    # a manuscript folder
    git: str | None = None
    ref: str | None = None
    folder: str = ""


@dataclass(frozen=True)
class Catalogue:
    file: Path
    title: str
    publisher: str
    base_url: str
    lang: str
    id: str
    books: list[BookSource]


def _problem(p: schema.Problem, rel: str):
    if p.kind == "yaml":
        return finding("CATALOGUE-001", rel, p.line, detail=p.detail)
    detail = {"unknown": f"is not a key of the catalogue{p.detail}", "missing": "is required",
              "empty": "is empty"}.get(p.kind, p.detail.removeprefix("it "))
    if p.path[:1] == ("books",) and p.kind == "invalid" and len(p.path) == 2:
        detail = "must be '- path: FOLDER' or '- git: URL' with 'ref:', not both"
    return finding("CATALOGUE-002", rel, p.line, key=p.key or "books", detail=detail)


def load(file: Path) -> Catalogue:
    """The catalogue in ``file``, or a ManuscriptError with every problem at its line."""
    file = Path(file)
    rel = display_path(file)
    if not file.is_file():
        raise ManuscriptError([finding("CATALOGUE-002", rel, 0, key="file", detail="there is no such file")])
    data, node = _load_yaml(read_text(file, rel), rel, "CATALOGUE-001")
    problems = schema.validate(data, node, "catalogue.yaml")
    if problems:
        raise ManuscriptError([_problem(p, rel) for p in problems])
    books, seen, errors = [], {}, []
    for i, entry in enumerate(data["books"]):
        entry_node = schema.node_at(node, ("books", i))[1]
        line = entry_node.start_mark.line + 1 if entry_node is not None else 0
        if "path" in entry:
            path = (file.parent / entry["path"]).resolve()
            name = entry.get("name") or _name(path.name)
            if not (path / "book.yaml").is_file():
                errors.append(finding("CATALOGUE-002", rel, line, key=f"books entry {i + 1}, path",
                                      detail=f"'{entry['path']}' is not a manuscript folder (no book.yaml)"))
            source = BookSource(name, line, path=path)
        else:
            repo = re.sub(r"\.git$", "", entry["git"].rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1])
            name = entry.get("name") or _name(Path(entry.get("folder") or repo).name)
            source = BookSource(name, line, git=entry["git"], ref=str(entry["ref"]), folder=entry.get("folder", ""))
        if name in seen:
            errors.append(finding("CATALOGUE-002", rel, line, key=f"books entry {i + 1}",
                                  detail=f"its name '{name}' is taken by the entry on line {seen[name]}: "
                                         "give one of them 'name:'"))
        seen[name] = line
        books.append(source)
    if errors:
        raise ManuscriptError(errors)
    base = data["base_url"] if data["base_url"].endswith("/") else data["base_url"] + "/"
    ident = data.get("id") or f"urn:uuid:{_uuid(base)}"
    return Catalogue(file, data["title"], data["publisher"], base, data["lang"], ident, books)


def _name(text: str) -> str:
    return re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-._") or "book"


def _uuid(text: str) -> str:
    h = hashlib.sha256(text.encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-5{h[13:16]}-8{h[17:20]}-{h[20:32]}"


def checkout(source: BookSource, cache: Path) -> Path:
    """The manuscript folder of ``source``: its path, or its git repository cloned into
    ``cache/git/<name>`` at its ref (fetched only when the ref is not there yet)."""
    if source.path is not None:
        return source.path
    repo = cache / "git" / source.name
    def git(*args, cwd=repo):
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=600)
    if not (repo / ".git").is_dir():
        repo.parent.mkdir(parents=True, exist_ok=True)
        done = git("clone", "--quiet", "--no-checkout", source.git, str(repo), cwd=repo.parent)
        if done.returncode:
            raise RuntimeError(f"git clone {source.git} failed: {done.stderr.strip()}")
    pinned = re.fullmatch(r"[0-9a-f]{40}", source.ref) and not git("cat-file", "-e", source.ref).returncode
    if not pinned:  # a branch or tag may have moved: fetch (a commit already here cannot)
        git("fetch", "--quiet", "--tags", "--force", "origin")
    target = git("rev-parse", "--verify", "--quiet", f"origin/{source.ref}^{{commit}}")
    if target.returncode:
        target = git("rev-parse", "--verify", "--quiet", f"{source.ref}^{{commit}}")
    if target.returncode:
        raise RuntimeError(f"git: {source.git} has no ref '{source.ref}'")
    done = git("-c", "advice.detachedHead=false", "checkout", "--quiet", "--force", target.stdout.strip())
    if done.returncode:
        raise RuntimeError(f"git checkout {source.ref} failed: {done.stderr.strip()}")
    folder = repo / source.folder if source.folder else repo
    if not (folder / "book.yaml").is_file():
        raise RuntimeError(f"{source.git} at {source.ref} has no book.yaml in '{source.folder or '.'}'")
    return folder
