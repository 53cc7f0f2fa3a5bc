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
import signal
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


class SwapFailed(OSError):
    """``swap_in`` could not put everything in place, nor undo what it had done: ``replaced`` are
    the targets that now hold the new version, ``kept`` the ones that hold the old, ``missing``
    those that hold neither, with where their old version was left (in the backup folder)."""

    def __init__(self, message: str, replaced: list[Path], kept: list[Path], missing: dict[Path, Path]):
        super().__init__(message)
        self.replaced, self.kept, self.missing = replaced, kept, missing


def swap_in(pairs: list[tuple[Path, Path]], backup: Path) -> None:
    """Put finished files and folders (``new``) in place of their ``target`` s, all or none.

    Every ``new`` must be complete and lie on the target's file system (a staging folder beside
    the output folder). Each target is moved into ``backup`` and its new version renamed in —
    renames only, so the whole swap takes milliseconds, with SIGINT and SIGTERM held back until it
    is done. If a rename fails, the targets already replaced get their old versions back and the
    error is raised; if even that fails, :class:`SwapFailed` says exactly which targets are new,
    which old and which missing (their old versions stay in ``backup``: do not remove it then)."""
    backup.mkdir(parents=True, exist_ok=True)
    done: list[tuple[Path, Path, Path | None]] = []  # (new, target, its old version or None)
    blocked = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, blocked)
    try:
        for i, (new, target) in enumerate(pairs):
            old = None
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                if target.exists() or target.is_symlink():
                    old = backup / f"{i}-{target.name}"
                    os.replace(target, old)
                os.replace(new, target)
            except OSError as e:
                missing = {}
                if old is not None and not target.exists():
                    try:
                        os.replace(old, target)
                    except OSError:
                        missing[target] = old
                _undo(done, pairs, e, missing)
                raise
            done.append((new, target, old))
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _undo(done: list, pairs: list, error: OSError, missing: dict) -> None:
    """Give the targets already replaced their old versions back; SwapFailed if that fails too.
    A file's old version is renamed over the new one in one step, so a target is never missing."""
    still_new = []
    for new, target, old in reversed(done):
        try:
            if old is None:  # there was nothing before: take the new one away again
                os.replace(target, new)
            elif target.is_dir() and not target.is_symlink():  # a folder cannot be renamed over another
                os.replace(target, new)
                try:
                    os.replace(old, target)
                except OSError:
                    os.replace(new, target)
                    raise
            else:
                os.replace(old, target)
        except OSError:
            still_new.append(target)
    if still_new or missing:
        kept = [t for _, t in pairs if t not in still_new and t not in missing]
        raise SwapFailed(f"putting the new editions in place failed ({error}) and could not be undone",
                         list(reversed(still_new)), kept, missing) from error
