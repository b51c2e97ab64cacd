"""Writing outputs safely.

- Never over an input: a target that is (or is a hard link of) an input is refused, `--force` or not.
- Never over an existing file unless the user asked (`check_target(..., overwrite=True)` records that), and
  never over a file that appeared after the check: a new output is committed with a hard link, which fails
  on EEXIST instead of replacing what another run wrote meanwhile.
- Atomic: every output is written to a hidden temporary file next to its target, then moved in one step.
- A set of outputs is written whole or not at all: inside `with transaction():` every `atomic_write` only
  stages its temporary file; the set is committed at the end of the block, and a failure while staging or
  committing (a full disk, Ctrl-C) removes the staged files and restores what the commit had replaced.
- The environment is not an internal error: an OSError while writing becomes a CannotWriteError (exit 5)
  naming the path and the cause in Chinese.
"""

from __future__ import annotations

import errno
import gc
import hashlib
import os
import shutil
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path

from . import texts
from .errors import CannotWriteError, OutputError

TEMP_PREFIX = ".xltools-"  # hidden: merge discovery and file managers skip it
NAME_MAX_BYTES = 255  # the common limit of one file name (ext4, NTFS in UTF-16 units, APFS)
SHORT_NAME_CHARS = 60  # an output name made from user data is shortened to this many characters
SHORT_NAME_BYTES = 180  # … and this many UTF-8 bytes, leaving room for a suffix and the temporary prefix

# Targets the user allowed to replace: resolved path -> (device, inode) of the file seen at check time.
_may_replace: dict[str, tuple[int, int]] = {}


# ---------------------------------------------------------------- what went wrong, in the user's words


def cause(e: OSError) -> str:
    """The cause of an OSError as a clerk can act on it."""
    key = {
        errno.ENOSPC: "disk_full",
        errno.EDQUOT: "quota",
        errno.EROFS: "read_only",
        errno.ENAMETOOLONG: "name_too_long",
        errno.EACCES: "permission",
        errno.EPERM: "permission",
        errno.ENOENT: "no_folder",
        errno.ENOTDIR: "no_folder",
        errno.EISDIR: "is_folder",
        errno.EFBIG: "too_big",
        errno.EEXIST: "appeared",
    }.get(e.errno or 0)
    if key is None:
        return texts.text("outputs.cause.other", error=e.strerror or type(e).__name__)
    return texts.text(f"outputs.cause.{key}")


def cannot_write(path: Path | str, e: OSError) -> CannotWriteError:
    return CannotWriteError(texts.text("outputs.cannot_write", path=str(path), cause=cause(e)))


def os_error_in(e: BaseException) -> OSError | None:
    """The OSError behind an exception (a library may wrap it in its own type)."""
    seen: set[int] = set()
    node: BaseException | None = e
    while node is not None and id(node) not in seen:
        if isinstance(node, OSError):
            return node
        seen.add(id(node))
        node = node.__cause__ or node.__context__
    return None


# ---------------------------------------------------------------- checks before any work


def _name_max(folder: Path) -> int:
    try:
        return int(os.pathconf(folder, "PC_NAME_MAX"))
    except (OSError, ValueError):
        return NAME_MAX_BYTES


def _same_file(a: os.stat_result, b: os.stat_result) -> bool:
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def check_target(
    path: Path, inputs: Iterable[Path] = (), overwrite: bool = False, reals: Mapping[str, str] | None = None
) -> None:
    """Refuse, before any work, an output over an input, over an existing file (unless overwrite), into a
    folder that is missing, or under a name the file system cannot hold. reals: inputs' real paths already
    known (a merge's thousands of inputs, resolved once when they were found)."""
    path = Path(path)
    target = path.resolve()
    try:
        existing: os.stat_result | None = os.stat(path)
    except OSError:
        existing = None
    known = reals or {}
    for p in inputs:
        real = known.get(str(p))
        p = Path(p)
        same = (real == str(target)) if real is not None else p.resolve() == target
        if not same and existing is not None:
            try:
                same = _same_file(os.stat(p), existing)
            except OSError:
                pass
        if same:
            raise OutputError(texts.text("outputs.is_input", path=str(path)))
    if existing is not None and path.is_dir():
        raise OutputError(texts.text("outputs.is_folder", path=str(path)))
    if existing is not None and not overwrite:
        raise OutputError(texts.text("outputs.exists", path=str(path)))
    if not path.parent.is_dir():
        raise OutputError(texts.text("outputs.no_folder", path=str(path.parent)))
    if len(path.name.encode("utf-8")) > _name_max(path.parent):
        raise CannotWriteError(
            texts.text("outputs.cannot_write", path=str(path), cause=texts.text("outputs.cause.name_too_long"))
        )
    if existing is not None:
        _may_replace[str(target)] = (existing.st_dev, existing.st_ino)


def safe_stem(text: str, limit_chars: int = SHORT_NAME_CHARS, limit_bytes: int = SHORT_NAME_BYTES) -> str:
    """A file-name stem made from user data, short enough for every file system: a long one keeps its head
    and tail around "…" and gains a short hash of the whole, so two long names never collide. The full text
    stays inside the document; only the file name is shortened."""
    if len(text) <= limit_chars and len(text.encode("utf-8")) <= limit_bytes:
        return text
    tag = "-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]
    tail_chars = min(20, limit_chars // 3)
    tail = text[-tail_chars:]
    budget_chars = limit_chars - len(tail) - len(tag) - 1
    budget_bytes = limit_bytes - len(tail.encode("utf-8")) - len(tag) - len("…".encode())
    head = ""
    for ch in text[: len(text) - tail_chars]:
        if len(head) + 1 > budget_chars or len((head + ch).encode("utf-8")) > budget_bytes:
            break
        head += ch
    return head.rstrip(" .") + "…" + tail + tag


# ---------------------------------------------------------------- staging and committing


@dataclass
class _Staged:
    tmp: Path
    path: Path
    replace: tuple[int, int] | None  # the file the user allowed to replace, or None: the target must be new
    backup: Path | None = None  # the replaced file, kept until the whole set is committed
    linked: bool = False  # the target now holds our file


@dataclass
class OutputSet:
    """The outputs of one run, committed together."""

    staged: list[_Staged] = field(default_factory=list)
    created_dirs: list[Path] = field(default_factory=list)

    @property
    def paths(self) -> list[Path]:
        return [s.path for s in self.staged]


_current: ContextVar[OutputSet | None] = ContextVar("xltools_output_set", default=None)
_open_sets: list[OutputSet] = []  # sets not yet committed or rolled back (abandon() undoes them)
_live: set[Path] = set()  # temporary files that exist right now
_live_dirs: set[Path] = set()  # temporary folders that exist right now (a writer's work space)


def _quietly_collect() -> None:
    """Close what a failed writer left open now, without the 'Exception ignored in ZipFile.__del__' noise a
    full disk causes when the garbage collector finalises a half-written zip."""
    hook = sys.unraisablehook
    sys.unraisablehook = lambda unraisable: None
    try:
        gc.collect()
    finally:
        sys.unraisablehook = hook


def _stage(path: Path, write: Callable[[Path], None]) -> _Staged:
    path = Path(path)
    if path.parent.is_dir() and len(path.name.encode("utf-8")) > _name_max(path.parent):
        raise cannot_write(path, OSError(errno.ENAMETOOLONG, os.strerror(errno.ENAMETOOLONG)))
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=path.suffix[:16], dir=path.parent)
        os.close(fd)
    except OSError as e:
        raise cannot_write(path, e) from None
    tmp = Path(tmp_name)
    _live.add(tmp)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)
    except BaseException as e:
        _unlink(tmp)
        _quietly_collect()
        err = os_error_in(e) if isinstance(e, Exception) else None
        if err is not None and not isinstance(e, (OutputError, CannotWriteError)):
            raise cannot_write(path, err) from None
        raise
    replace = _may_replace.get(str(path.resolve()))
    return _Staged(tmp, path, replace)


def _unlink(p: Path | None) -> None:
    if p is None:
        return
    _live.discard(p)
    try:
        p.unlink(missing_ok=True)
    except OSError:
        pass


def _link_new(s: _Staged) -> None:
    """Put the staged file at a target that must not exist (EEXIST if another run made it meanwhile)."""
    try:
        os.link(s.tmp, s.path)
    except OSError as e:
        if e.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK, errno.ENOSYS):
            raise
        # No hard links here (FAT, some network shares): claim the name exclusively, then move over our claim.
        fd = os.open(s.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        os.close(fd)
        s.linked = True
        os.replace(s.tmp, s.path)
        _live.discard(s.tmp)
        return
    s.linked = True
    _unlink(s.tmp)


def _replace_old(s: _Staged) -> None:
    """Replace the file the user allowed to replace, keeping it aside until the whole set is committed; a file
    that is no longer the one checked (another run replaced it meanwhile) is not ours to overwrite."""
    try:
        now = os.stat(s.path)
    except FileNotFoundError:
        _link_new(s)
        return
    if s.replace is None or (now.st_dev, now.st_ino) != s.replace:
        raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(s.path))
    backup = Path(tempfile.mktemp(prefix=TEMP_PREFIX + "old-", dir=s.path.parent))
    try:
        os.link(s.path, backup)
        s.backup = backup
    except OSError:
        pass  # no hard links: the replaced file cannot be restored, but the new one is complete
    os.replace(s.tmp, s.path)
    _live.discard(s.tmp)
    s.linked = True


def _rollback(staged: list[_Staged]) -> None:
    for s in reversed(staged):
        if s.linked:
            try:
                if s.backup is not None:
                    os.replace(s.backup, s.path)
                    s.backup = None
                elif s.replace is None:
                    s.path.unlink(missing_ok=True)
            except OSError:
                pass
        _unlink(s.tmp)
        _unlink(s.backup)


def _commit(staged: list[_Staged]) -> None:
    """New targets first (a clash is the likeliest failure), then replacements; all or nothing."""
    done: list[_Staged] = []
    try:
        for s in sorted(staged, key=lambda s: s.replace is not None):
            done.append(s)
            if s.replace is None:
                _link_new(s)
            else:
                _replace_old(s)
    except BaseException as e:
        _rollback(staged)
        current = done[-1].path if done else Path(".")
        if isinstance(e, FileExistsError):
            raise CannotWriteError(texts.text("outputs.appeared", path=str(current))) from None
        if isinstance(e, OSError):
            raise cannot_write(current, e) from None
        raise
    for s in staged:
        _unlink(s.backup)
        _may_replace.pop(str(s.path.resolve()), None)


def atomic_write(path: Path, write: Callable[[Path], None]) -> Path:
    """Call write(tmp), then put tmp at path in one step, so a crash never leaves half a file. Inside a
    transaction the file is only staged: it appears with the rest of the set."""
    with transaction() as txn:  # alone, or a part of the enclosing set
        txn.staged.append(_stage(Path(path), write))
    return Path(path)


def atomic_write_bytes(path: Path, data: bytes) -> Path:
    return atomic_write(path, lambda tmp: tmp.write_bytes(data))


def make_folder(folder: Path) -> Path:
    """Create an output folder (and its parents); a folder created for a set that is rolled back goes too."""
    folder = Path(folder)
    missing = []
    probe = folder
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise cannot_write(folder, e) from None
    txn = _current.get()
    if txn is not None:
        txn.created_dirs.extend(missing)
    return folder


@contextmanager
def transaction() -> Iterator[OutputSet]:
    """Every atomic_write inside the block is committed at its end, all together, or none of them."""
    if _current.get() is not None:  # nested: the outer set commits
        yield _current.get()  # type: ignore[misc]
        return
    txn = OutputSet()
    token = _current.set(txn)
    _open_sets.append(txn)
    try:
        try:
            yield txn
        except BaseException:
            _current.reset(token)
            _rollback(txn.staged)
            _remove_empty(txn.created_dirs)
            raise
        _current.reset(token)
        try:
            _commit(txn.staged)
        except BaseException:
            _remove_empty(txn.created_dirs)
            raise
    finally:
        if txn in _open_sets:
            _open_sets.remove(txn)


def abandon() -> None:
    """Undo every set not yet complete and remove every temporary file: for an interruption that ends the
    process at once (Ctrl-C), so it leaves nothing half-written and nothing of an incomplete set."""
    for txn in reversed(_open_sets):
        _rollback(txn.staged)
        _remove_empty(txn.created_dirs)
    _open_sets.clear()
    for tmp in list(_live):
        _unlink(tmp)
    for folder in list(_live_dirs):
        _live_dirs.discard(folder)
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def work_folder(parent: Path, name: str) -> Iterator[Path]:
    """A hidden temporary folder in `parent` for a writer's intermediate files, removed when the block ends
    and by abandon() (Ctrl-C ends the process without running the block's cleanup)."""
    folder = Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{name}-", dir=parent))
    _live_dirs.add(folder)
    try:
        yield folder
    finally:
        _live_dirs.discard(folder)
        shutil.rmtree(folder, ignore_errors=True)


def _remove_empty(dirs: list[Path]) -> None:
    for d in dirs:  # innermost first, as make_folder collected them
        try:
            d.rmdir()
        except OSError:
            pass


# ---------------------------------------------------------------- outputs of ours


def is_xltools_output(path: Path, kind: str = "") -> bool:
    """Whether an existing workbook is one xltools wrote as an output (custom property xltools_output), read
    with a bound: a stranger's file is only peeked at."""
    try:
        with zipfile.ZipFile(path) as zf:
            info = zf.getinfo("docProps/custom.xml")
            if info.file_size > 64 * 1024:
                return False
            xml = zf.read(info)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, EOFError, RuntimeError, NotImplementedError):
        return False
    marker = b'name="xltools_output"'
    at = xml.find(marker)
    if at < 0:
        return False
    return not kind or f">{kind}<".encode() in xml[at : at + 300]


# errno values that mean "the environment refuses to store this", wherever they surface
WRITE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG, errno.ENAMETOOLONG})
