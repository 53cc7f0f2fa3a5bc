"""press catalogue: many books at once (here and on a Dask LocalCluster), a failed book reported
while the others build, the site and the OPDS feeds, followed link by link to the real files.

The books are the fixture book copied into tmp_path with other titles, languages and identifiers
(one of them broken); never this book's manuscript."""
from __future__ import annotations

import json
import re
import shutil
import uuid
import zipfile
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import pytest
import yaml
from conftest import FIXTURE, press
from lxml import etree, html
from pypdf import PdfReader
from test_rules import covers

from press.catalogue import config
from press.rules import ManuscriptError

OPDS_SCHEMAS = Path(__file__).parent / "opds"
ATOM = "{http://www.w3.org/2005/Atom}"
TRICKY = "Tides & <Harbours>"  # a title that must be escaped on the site and in the feeds


def make_book(folder: Path, title: str, lang: str, broken: bool = False) -> Path:
    shutil.copytree(FIXTURE, folder)
    meta = yaml.safe_load((folder / "book.yaml").read_text(encoding="utf-8"))
    meta.update(title=title, lang=lang, identifier=f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, title)}")
    if broken:
        meta["contents"] = [*meta["contents"], {"file": "99-missing.md"}]
    (folder / "book.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def catalogue_file(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("catalogue")
    make_book(root / "books" / "tides", TRICKY, "en-GB")
    make_book(root / "books" / "getijden", "Getijden en havens", "nl")
    make_book(root / "books" / "kapot", "Een kapot boek", "nl", broken=True)
    (root / "catalogue.yaml").write_text(
        "title: Fixture Press & Co\npublisher: Fixture Press\nbase_url: https://books.example.org/list\nlang: nl\n"
        "books:\n  - path: books/tides\n  - path: books/kapot\n  - path: books/getijden\n", encoding="utf-8")
    return root / "catalogue.yaml"


@pytest.fixture(scope="module")
def built(catalogue_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("catalogue-out")
    cache = tmp_path_factory.mktemp("catalogue-cache")
    proc = press("catalogue", "build", str(catalogue_file), "-o", str(out), "--cache", str(cache), "--jobs", "2")
    return proc, out, cache


def table(stdout: str) -> dict[str, list[str]]:
    """The summary table's rows by book name."""
    rows = {}
    for line in stdout.splitlines():
        cells = re.split(r"\s{2,}", line.strip())
        if len(cells) == 4 and cells[0] in ("tides", "getijden", "kapot"):
            rows[cells[0]] = cells
    return rows


def test_a_failed_book_is_reported_and_the_others_are_built(built):
    proc, out, _ = built
    assert proc.returncode == 1, proc.stdout + proc.stderr
    rows = table(proc.stdout)
    assert rows["tides"][1] == "built" and rows["getijden"][1] == "built" and rows["kapot"][1] == "failed"
    assert "tides-harbours.epub" in rows["tides"][3] and "getijden-en-havens.pdf" in rows["getijden"][3]
    assert re.search(r"kapot failed:\n.*book\.yaml:\d+: BOOK-005 contents names '99-missing.md'", proc.stdout)
    assert "Traceback" not in proc.stdout + proc.stderr
    for name, slug in (("tides", "tides-harbours"), ("getijden", "getijden-en-havens")):
        with zipfile.ZipFile(out / "books" / name / f"{slug}.epub") as z:
            assert z.read("mimetype") == b"application/epub+zip"
    assert not (out / "books" / "kapot").exists()


def test_each_book_has_its_own_cache_and_a_second_run_is_incremental(built, catalogue_file):
    _, out, cache = built
    for name in ("tides", "getijden"):  # (the broken book stopped before it cached anything)
        assert any((cache / "books" / name / "pandoc").iterdir())
    again = press("catalogue", "build", str(catalogue_file), "-o", str(out), "--cache", str(cache), "-q")
    rows = table(again.stdout)
    assert rows["tides"][1] == rows["getijden"][1] == "up to date" and rows["kapot"][1] == "failed"


def test_a_book_taken_out_of_the_catalogue_leaves_the_site_with_its_editions(built, catalogue_file, tmp_path):
    """The output folder holds the books the catalogue names: one taken out goes (page, publication
    document, covers, editions) once the feeds no longer list it; what the catalogue did not write stays."""
    _, out, cache = built
    copy, cache_copy = tmp_path / "out", tmp_path / "cache"
    shutil.copytree(out, copy)
    shutil.copytree(cache, cache_copy)
    (copy / "books" / "notes.txt").write_text("the publisher's own file", encoding="utf-8")
    smaller = catalogue_file.with_name("smaller.yaml")
    smaller.write_text(catalogue_file.read_text(encoding="utf-8").replace("  - path: books/tides\n", ""),
                       encoding="utf-8")
    theirs = [copy / "books" / "tides", copy / "books" / "tides.html", copy / "books" / "tides.json",
              copy / "covers" / "tides.png", copy / "covers" / "tides-thumb.png"]
    assert all(p.exists() for p in theirs)
    proc = press("catalogue", "build", str(smaller), "-o", str(copy), "--cache", str(cache_copy), "-q")
    assert "No longer in the catalogue, taken off the site with their editions: tides" in proc.stdout, proc.stdout
    assert not [p for p in theirs if p.exists()]
    for feed in ("opds.json", "opds.xml", "index.html"):
        assert "books/tides" not in (copy / feed).read_text(encoding="utf-8")
    assert (copy / "books" / "getijden.html").exists() and (copy / "books" / "notes.txt").exists()
    assert table(proc.stdout)["getijden"][1] == "up to date"


def _registry():
    from referencing import Registry, Resource
    resources = [Resource.from_contents(json.loads(p.read_text())) for p in OPDS_SCHEMAS.glob("*.schema.json")]
    return Registry().with_resources((r.id(), r) for r in resources)


def test_opds2_feed_passes_the_schema(built):
    from jsonschema import Draft202012Validator
    _, out, _ = built
    feed = json.loads((out / "opds.json").read_text(encoding="utf-8"))
    registry = _registry()
    schema = registry.contents("https://press.invalid/opds/feed.schema.json")
    validator = Draft202012Validator(schema, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER)
    assert not [e.message for e in validator.iter_errors(feed)]
    assert [p["metadata"]["title"] for p in feed["publications"]] == ["Getijden en havens", TRICKY]
    assert {p["metadata"]["language"] for p in feed["publications"]} == {"nl", "en-GB"}
    broken = {**feed, "publications": [{**feed["publications"][0], "links": []}]}  # the schema has teeth
    assert list(validator.iter_errors(broken))


def test_each_publication_links_to_its_own_publication_document(built):
    """The published OPDS 2.0 schema asks every publication for a ``self`` link: the book's own
    publication document, which validates alone and links to the same files as the feed."""
    from jsonschema import Draft202012Validator
    _, out, _ = built
    registry = _registry()
    validator = Draft202012Validator(registry.contents("https://press.invalid/opds/publication.schema.json"),
                                     registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER)
    feed_url = (out / "opds.json").as_uri()
    for pub in json.loads((out / "opds.json").read_text(encoding="utf-8"))["publications"]:
        own = next(link for link in pub["links"] if link["rel"] == "self")
        assert own["type"] == "application/opds-publication+json"
        doc_url = urljoin(feed_url, own["href"])
        doc = json.loads(Path(unquote(urlparse(doc_url).path)).read_text(encoding="utf-8"))
        assert not [e.message for e in validator.iter_errors(doc)]
        assert doc["metadata"] == pub["metadata"]
        files = lambda p, base: sorted(urljoin(base, link["href"]) for link in p["links"] + p["images"])  # noqa: E731
        assert files(doc, doc_url) == files(pub, feed_url)
    no_self = {**pub, "links": [link for link in pub["links"] if link["rel"] != "self"]}
    assert list(validator.iter_errors(no_self))  # the schema asks for it


def test_opds1_feed_is_atom_with_the_opds_relations(built):
    _, out, _ = built
    feed = etree.parse(str(out / "opds.xml")).getroot()  # well-formed, or this raises
    assert feed.tag == f"{ATOM}feed" and feed.findtext(f"{ATOM}title") == "Fixture Press & Co"
    self_link = feed.find(f"{ATOM}link[@rel='self']")
    assert self_link.get("href") == "https://books.example.org/list/opds.xml"
    assert "profile=opds-catalog;kind=acquisition" in self_link.get("type")
    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == ["Getijden en havens", TRICKY]
    for entry in entries:
        rels = [(link.get("rel"), link.get("type")) for link in entry.findall(f"{ATOM}link")]
        assert ("http://opds-spec.org/image", "image/png") in rels
        assert ("http://opds-spec.org/image/thumbnail", "image/png") in rels
        assert ("http://opds-spec.org/acquisition", "application/epub+zip") in rels
        assert ("http://opds-spec.org/acquisition", "application/pdf") in rels
        assert entry.findtext("{http://purl.org/dc/terms/}language") in ("nl", "en-GB")
        assert entry.findtext(f"{ATOM}id").startswith("urn:uuid:")
        assert entry.findtext(f"{ATOM}author/{ATOM}name") == "Ada Writer"


def _resolve(out: Path, href: str) -> Path:
    url = urljoin((out / "opds.xml").as_uri(), href)
    assert urlparse(url).scheme == "file", href
    return Path(unquote(urlparse(url).path))


def test_every_acquisition_link_downloads_a_book(built):
    """What a reading app does: follow each acquisition and image link of both feeds and open the file."""
    _, out, _ = built
    feed = etree.parse(str(out / "opds.xml")).getroot()
    links = [(link.get("href"), link.get("type")) for link in feed.iter(f"{ATOM}link")
             if link.get("rel", "").startswith("http://opds-spec.org/")]
    for pub in json.loads((out / "opds.json").read_text())["publications"]:
        links += [(link["href"], link["type"]) for link in pub["links"] if link["rel"].startswith("http://opds-spec.org/")]
        links += [(image["href"], image["type"]) for image in pub["images"]]
    assert len(links) == 2 * (4 + 4)
    for href, kind in links:
        path = _resolve(out, href)
        if kind == "application/epub+zip":
            with zipfile.ZipFile(path) as z:
                assert z.read("mimetype") == b"application/epub+zip" and z.testzip() is None
        elif kind == "application/pdf":
            assert len(PdfReader(path).pages) > 3
        else:
            from PIL import Image
            with Image.open(path) as im:
                assert im.format == "PNG" and im.width in (200, 600)


def test_site_has_a_page_per_book_escaped(built):
    _, out, _ = built
    index = html.parse(str(out / "index.html")).getroot()
    assert index.get("lang") == "nl"
    titles = [s.text_content() for s in index.iter("strong")]
    assert titles == ["Getijden en havens", TRICKY]
    assert b"<Harbours>" not in (out / "index.html").read_bytes()
    page = html.parse(str(out / "books" / "tides.html")).getroot()
    assert page.findtext(".//h1") == TRICKY
    assert "Ada Writer, Ben Editor" in page.text_content() and "en-GB" in page.text_content()
    downloads = [a.get("href") for a in page.iter("a") if a.get("download") is not None]
    assert downloads == ["../books/tides/tides-harbours.epub", "../books/tides/tides-harbours.pdf"]
    for href in downloads + [page.find(".//img").get("src")]:
        assert (out / "books" / href).resolve().is_file()
    assert "Downloaden" in page.text_content()  # the catalogue's language's labels


def test_site_pages_pass_the_nu_html_checker(built, tmp_path):
    from press.validators import vnu
    _, out, _ = built
    pages = [out / "index.html", *sorted((out / "books").glob("*.html"))]
    assert len(pages) == 3
    assert vnu(pages, tmp_path / "vnu.json") == []


@covers("CATALOGUE-001", "CATALOGUE-002")
def test_catalogue_mistakes_are_reported_at_their_line(tmp_path):
    make_book(tmp_path / "a", "A", "en")
    bad = tmp_path / "catalogue.yaml"
    bad.write_text("title: T\npublisher: P\nbase_url: books.example.org\nlang: en\ntitel: x\nbooks:\n"
                   "  - path: a\n  - path: nowhere\n  - path: a\n  - git: https://example.org/x.git\n", encoding="utf-8")
    with pytest.raises(ManuscriptError) as e:
        config.load(bad)
    found = sorted((f.line, f.code, f.message) for f in e.value.findings)
    assert [(line, code) for line, code, _ in found] == [(3, "CATALOGUE-002"), (5, "CATALOGUE-002"),
                                                          (10, "CATALOGUE-002")], found
    assert "did you mean 'title'" in found[1][2] and "web address" in found[0][2]
    bad.write_text("title: T\npublisher: P\nbase_url: https://x.org/\nlang: en\nbooks:\n  - path: a\n"
                   "  - path: nowhere\n  - path: a\n", encoding="utf-8")
    with pytest.raises(ManuscriptError) as e:
        config.load(bad)
    assert [(f.line, f.code) for f in e.value.findings] == [(7, "CATALOGUE-002"), (8, "CATALOGUE-002")]
    assert "taken by the entry on line 6" in e.value.findings[1].message
    bad.write_text("title: [T\nbooks: []\n", encoding="utf-8")
    proc = press("catalogue", "build", str(bad), "-o", str(tmp_path / "out"))
    assert proc.returncode == 1 and re.search(r"catalogue\.yaml:1: CATALOGUE-001 ", proc.stderr), proc.stderr
    assert "Traceback" not in proc.stderr


def _descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (read from /proc)."""
    children: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        try:
            ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1]) if d.name.isdigit() else None
        except (OSError, IndexError, ValueError):
            continue
        if ppid is not None:
            children.setdefault(ppid, []).append(int(d.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_an_interrupted_catalogue_stops_every_book_and_writes_none(catalogue_file, tmp_path):
    """The books build in processes forked from a warm server, which ignore Ctrl-C: the catalogue
    must stop them itself (SIGTERM here, as a scheduler's stop would send)."""
    import signal
    import subprocess
    import sys
    import time
    out, cache = tmp_path / "out", tmp_path / "cache"
    proc = subprocess.Popen([sys.executable, "-m", "press.cli", "catalogue", "build", str(catalogue_file), "-o", str(out),
                             "--cache", str(cache), "--jobs", "2"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    deadline, seen = time.time() + 120, set()
    while time.time() < deadline and proc.poll() is None:
        seen |= _descendants(proc.pid)
        if len(seen) >= 4 and (cache / "books").is_dir():  # the server, builds and their workers are running
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the catalogue ended before it could be interrupted"
    time.sleep(0.5)
    seen |= _descendants(proc.pid)
    proc.send_signal(signal.SIGTERM)
    said = proc.communicate(timeout=60)[0]
    assert proc.returncode != 0 and "interrupted" in said, said
    assert "books were built or up to date before it stopped" in said and f"{out}/ are as they were" in said, said
    deadline = time.time() + 3  # the fork server ends when it sees its parent gone
    while time.time() < deadline and any(_alive(pid) for pid in seen):
        time.sleep(0.1)
    assert [pid for pid in seen if _alive(pid)] == []
    half = [p.name for p in out.rglob(".*")]  # a staging folder or temporary file (press.fsio) left behind
    assert half == [], half


def test_a_git_book_is_cloned_at_its_ref(tmp_path):
    import subprocess
    repo = make_book(tmp_path / "repo", "From git", "en")
    git = lambda *a: subprocess.run(["git", *a], cwd=repo, check=True, capture_output=True)  # noqa: E731
    git("init", "-q"), git("add", "-A"), git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "one")
    git("tag", "v1")
    (repo / "book.yaml").write_text((repo / "book.yaml").read_text().replace("From git", "Changed"))
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "two")
    (tmp_path / "c.yaml").write_text(f"title: T\npublisher: P\nbase_url: https://x.org/\nlang: en\nbooks:\n"
                                     f"  - git: {repo}\n    ref: v1\n    name: old\n", encoding="utf-8")
    source = config.load(tmp_path / "c.yaml").books[0]
    folder = config.checkout(source, tmp_path / "cache")
    assert folder == tmp_path / "cache" / "git" / "old" and "title: From git" in (folder / "book.yaml").read_text()


def test_the_same_catalogue_builds_on_a_dask_cluster(catalogue_file, built, tmp_path):
    """Two single-threaded workers on 127.0.0.1: each book a task, its editions sent back as bytes."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1", processes=True,
                                  dashboard_address=":0") as cluster:
        proc = press("catalogue", "build", str(catalogue_file), "-o", str(tmp_path / "out"),
                     "--cache", str(tmp_path / "cache"), "--scheduler", cluster.scheduler_address)
        again = press("catalogue", "build", str(catalogue_file), "-o", str(tmp_path / "out"),
                      "--cache", str(tmp_path / "cache"), "--scheduler", cluster.scheduler_address, "-q")
        shared = press("catalogue", "build", str(catalogue_file), "-o", str(tmp_path / "shared"),
                       "--cache", str(tmp_path / "shared-cache"), "--scheduler", cluster.scheduler_address,
                       "--shared", "-q")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    rows = table(again.stdout)  # nothing changed: nothing is sent to the cluster
    assert rows["tides"][1] == rows["getijden"][1] == "up to date" and rows["kapot"][1] == "failed"
    rows = table(shared.stdout)  # the workers wrote into the shared output and cache folders themselves
    assert rows["tides"][1] == rows["getijden"][1] == "built", shared.stdout + shared.stderr
    assert (tmp_path / "shared" / "books" / "tides" / "tides-harbours.epub").is_file()
    assert any((tmp_path / "shared-cache" / "books" / "tides" / "pandoc").iterdir())
    rows = table(proc.stdout)
    assert rows["tides"][1] == rows["getijden"][1] == "built" and rows["kapot"][1] == "failed"
    assert re.search(r"kapot failed:\n.*kapot/book\.yaml:\d+: BOOK-005", proc.stdout), proc.stdout
    _, local_out, _ = built
    for name, slug in (("tides", "tides-harbours"), ("getijden", "getijden-en-havens")):
        with zipfile.ZipFile(tmp_path / "out" / "books" / name / f"{slug}.epub") as z:
            assert z.read("mimetype") == b"application/epub+zip"
        assert len(PdfReader(tmp_path / "out" / "books" / name / f"{slug}.pdf").pages) == \
            len(PdfReader(local_out / "books" / name / f"{slug}.pdf").pages)
    feed = json.loads((tmp_path / "out" / "opds.json").read_text())
    assert len(feed["publications"]) == 2


def test_the_bench_will_not_build_into_a_folder_that_holds_something(tmp_path):
    (tmp_path / "books").mkdir()  # an earlier run's
    proc = press("catalogue", "bench", "--keep", str(tmp_path), "--books", "2")
    assert proc.returncode == 2 and f"{tmp_path} is not empty" in proc.stderr, proc.stdout + proc.stderr
    assert list(tmp_path.iterdir()) == [tmp_path / "books"] and "Traceback" not in proc.stderr
