"""Writing files so that nobody ever reads half of one: the press's one way to put a file or a
folder in place, used for the editions, the reports, the proofs and the cache.

A file is written under a unique temporary name in its target's folder, flushed to disk
(``fsync``), given the mode the user's umask asks for (0644 files and 0755 folders under umask
022: a web server running as another user can read the HTML edition) and renamed over the
target, so readers see the old file or the new one, never a mixture. ``tempfile`` creates its
files 0600 and folders 0700 whatever the umask; everything here corrects that before the rename.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def umask() -> int:
    """The process's umask, read without changing it (Linux: /proc; elsewhere set and restored)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    old = os.umask(0o022)
    os.umask(old)
    return old


def file_mode() -> int:
    return 0o666 & ~umask()


def dir_mode() -> int:
    return 0o777 & ~umask()


def temp_name(path: Path, suffix: str = ".part") -> Path:
    """A unique temporary name in ``path``'s folder, not yet created: a caller can note it for
    clean-up before anything exists (an interruption then never leaves an unnoted file behind),
    then let a writer that wants a file name (WeasyPrint) create it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}{suffix}")


def temp_beside(path: Path, suffix: str = ".part") -> Path:
    """A unique, empty temporary file in ``path``'s folder (for writers that want a file name)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    return Path(tmp)


def publish(tmp: Path, path: Path) -> None:
    """Put a finished temporary file in place: flushed to disk, the umask's mode, renamed."""
    with open(tmp, "rb+") as fh:
        os.fsync(fh.fileno())
    os.chmod(tmp, file_mode())
    os.replace(tmp, path)


@contextmanager
def atomic_file(path: Path, mode: str = "wb") -> Iterator:
    """``with atomic_file(p, "w") as fh:`` — ``p`` appears complete on success, unchanged on failure."""
    tmp = temp_beside(path)
    try:
        with open(tmp, mode, **({} if "b" in mode else {"encoding": "utf-8"})) as fh:
            yield fh
        publish(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write(path: Path, data: bytes | str) -> None:
    """Write bytes or text (UTF-8) to ``path`` atomically."""
    with atomic_file(path, "wb") as fh:
        fh.write(data.encode("utf-8") if isinstance(data, str) else data)


def temp_dir_beside(path: Path, suffix: str = ".part") -> Path:
    """A unique temporary folder in ``path``'s folder, with the umask's mode."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent))
    os.chmod(tmp, dir_mode())
    return tmp


def replace_dir(tmp: Path, path: Path) -> None:
    """Swap a finished folder in for ``path`` (the old one is removed once the new one is there)."""
    old = path.with_name(f".{path.name}.old")
    if old.exists():
        shutil.rmtree(old)
    if path.exists():
        os.replace(path, old)
    os.replace(tmp, path)
    if old.exists():
        shutil.rmtree(old)


@contextmanager
def atomic_dir(path: Path) -> Iterator[Path]:
    """Build a folder under a temporary name; swap it into place only when complete."""
    tmp = temp_dir_beside(path)
    try:
        yield tmp
        replace_dir(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
