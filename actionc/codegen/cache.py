"""The kernel cache: content-addressed files, and an index from a model's
text to its kernel, so that a warm run reads no SymPy at all.

Layout under the cache folder (ACTIONC_CACHE_DIR, else the user cache dir):

    kernels/k_<sha256 of the source>.py    one self-contained module each
    kernels/k_<…>.<cpu>.so                 its driver as a shared library (actionc.codegen.library)
    kernels/__pycache__/                   Numba's compiled code (cache=True)
    index/<sha256 of model text + options + versions>.json -> kernel name

Everything in the cache is code we execute (kernels are imported, Numba
unpickles its index and data files), so a folder is used only when it is
ours: owned by the current user (or root) and writable by nobody else,
checked before every use. Otherwise it is refused with a warning and a
fresh private folder (mkdtemp, removed at exit) serves this process. A
folder that is ours but read-only (a pre-warmed cache on a cluster) is read
and never written: its kernels are copied, with Numba's files, into the
private folder to be imported. A kernel file whose content no longer
matches its name, and a Numba file that is not a whole pickle, are deleted
and rebuilt, never trusted. This module must not import SymPy (tested).
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import json
import os
import re
import shutil
import stat
import sys
import tempfile
import warnings
from pathlib import Path

CACHE_ENV = "ACTIONC_CACHE_DIR"


class UntrustedCacheWarning(UserWarning):
    """A cache folder was refused: someone else could write into it."""


def _default_dir() -> Path | None:
    try:
        if sys.platform == "darwin":
            return Path.home() / "Library" / "Caches" / "actionc"
        if os.name == "nt":
            return Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local")) / "actionc"
        return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "actionc"
    except RuntimeError:  # no HOME, and a uid without a passwd entry
        return None


def _uid() -> int | None:
    return os.getuid() if hasattr(os, "getuid") else None


def distrust(path: Path) -> str | None:
    """Why the folder `path` must not hold code we run, or None when it is
    ours (or absent, for us to create): not a symlink, owned by us or root,
    writable by nobody else. Windows has no such modes: trusted."""
    try:
        info = path.lstat()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as error:
        return f"it cannot be examined ({error.strerror})"
    if _uid() is None:
        return None
    if stat.S_ISLNK(info.st_mode):
        return "it is a symbolic link"
    if not stat.S_ISDIR(info.st_mode):
        return "it is not a folder"
    if info.st_uid not in (_uid(), 0):
        return f"it belongs to another user (uid {info.st_uid})"
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return f"others can write into it (mode {stat.S_IMODE(info.st_mode):o})"
    return None


def _make_private(path: Path) -> None:
    """Create `path` and its missing parents with mode 0700 (umask cannot widen it)."""
    missing = []
    while not path.exists() and path.parent != path:
        missing.append(path)
        path = path.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:
            pass


@functools.lru_cache(maxsize=None)
def _unusable(root: Path, reason: str) -> None:
    warnings.warn(
        f"actionc cannot use the kernel cache {root}: {reason}; this run uses a private temporary folder "
        f"instead (kernels are compiled afresh). Set {CACHE_ENV} to a folder you can write.",
        UntrustedCacheWarning,
        stacklevel=4,
    )


@functools.lru_cache(maxsize=None)
def _warn(root: Path, reason: str) -> None:
    warnings.warn(
        f"actionc does not use the kernel cache {root}: {reason}, so code there could have been planted; "
        f"this run uses a private temporary folder instead (kernels are compiled afresh). "
        f"To fix it, remove that folder, or make it yours and private (chown it to yourself, chmod 700), "
        f"or set {CACHE_ENV} to a folder of your own.",
        UntrustedCacheWarning,
        stacklevel=4,
    )


@functools.lru_cache(maxsize=1)
def scratch_dir() -> Path:
    """A fresh folder private to this process (mkdtemp: 0700, ours), removed at exit."""
    path = Path(tempfile.mkdtemp(prefix="actionc-"))
    atexit.register(shutil.rmtree, path, True)
    return path


def _roots() -> tuple[Path | None, Path]:
    """(the cache folder to read, or None; the folder to write into), checked now."""
    configured = os.environ.get(CACHE_ENV)
    candidates = [Path(configured).expanduser()] if configured else [_default_dir()]
    if not configured and os.name != "nt":
        # a read-only home (a container, a cluster node): a per-user folder in the temp dir
        candidates.append(Path(tempfile.gettempdir()) / f"actionc-cache-{_uid()}")
    for root in filter(None, candidates):
        try:
            _make_private(root)  # first: what is checked below is then what is used, not what was absent
        except OSError as error:
            if not root.is_dir():
                if configured:  # asked for and not had: say so (the default falls back quietly)
                    _unusable(root, f"it cannot be created ({error.strerror or error})")
                continue
        reason = _ancestors_distrust(root) or next(filter(None, (distrust(f) for f in _folders(root))), None)
        if reason is not None:
            _warn(root, reason)
            continue
        if not configured and root.stat().st_uid == _uid():
            try:
                root.chmod(0o700)  # our own folder: nobody else needs to look inside (an older one may be 755)
            except OSError:
                pass
        if all(_writable(folder) for folder in _folders(root) if folder.exists()):
            return root, root
        return root, scratch_dir()  # ours but read-only (pre-warmed): read it, write nothing there
    return None, scratch_dir()


def _writable(folder: Path) -> bool:
    return os.access(folder, os.W_OK | os.X_OK)


def _ancestors_distrust(root: Path) -> str | None:
    """Why a folder above `root` lets someone else swap `root` for theirs: it
    is writable by others (or by a group not ours) without the sticky bit
    (as OpenSSH's StrictModes checks)."""
    if _uid() is None:
        return None
    for folder in Path(os.path.abspath(root)).parents:
        try:
            info = folder.stat()
        except OSError:
            continue
        shared = info.st_mode & stat.S_IWOTH or (info.st_mode & stat.S_IWGRP and info.st_gid != os.getgid())
        if shared and not info.st_mode & stat.S_ISVTX:
            return f"the folder {folder} above it can be written by others (mode {stat.S_IMODE(info.st_mode):o})"
    return None


def _folders(root: Path) -> tuple[Path, ...]:
    return (root, root / "index", root / "kernels", root / "kernels" / "__pycache__")


def _exposed(folder: Path) -> bool:
    """Whether others can reach into `folder`."""
    try:
        return bool(folder.stat().st_mode & (stat.S_IXGRP | stat.S_IXOTH))
    except OSError:
        return True


def cache_dir() -> Path:
    """The folder new kernels are written to: the cache, or this process's private folder."""
    return _roots()[1]


def digest(*parts: str) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()


def write_atomically(path: Path, text: str) -> None:
    _make_private(path.parent)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")  # mode 0600
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        discard(Path(temporary))
        raise


def kernel_name(source: str) -> str:
    return "k_" + digest(source)[:24]


_KERNEL_NAME = re.compile(r"k_[0-9a-f]{24}")


def read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def store_kernel(source: str) -> Path:
    """Write the kernel source under its content hash (once) and return its path."""
    path = cache_dir() / "kernels" / f"{kernel_name(source)}.py"
    _make_private(path.parent / "__pycache__")  # before Numba makes it with the umask's mode
    if read_text(path) != source or not private_file(path):
        discard(path)
        write_atomically(path, source)
    return path


def verified_kernel(name: str) -> Path | None:
    """The path, ready to import, of a cached kernel whose content still
    matches its name; from a read-only cache, a private copy of it."""
    if not _KERNEL_NAME.fullmatch(name):  # an index entry names a file in kernels/, nothing else
        return None
    read, write = _roots()
    for root in dict.fromkeys(r for r in (write, read) if r is not None):
        path = root / "kernels" / f"{name}.py"
        source = read_text(path)
        if source is None or not private_file(path):
            continue
        if kernel_name(source) != name:
            if root == write:
                discard(path)
            continue
        return path if root == write else _copy_with_numba_files(path, write / "kernels")
    return None


def _copy_with_numba_files(path: Path, folder: Path) -> Path:
    """Copy a read-only cache's kernel and its compiled code, keeping their
    times: Numba's index is valid only for its source file's stamp."""
    _make_private(folder / "__pycache__")
    target = folder / path.name
    shutil.copy2(path, target)
    for companion in _companions(path):
        if private_file(companion):
            shutil.copy2(companion, folder / "__pycache__" / companion.name)
    for shared in path.parent.glob(f"{path.stem}.*.so"):  # its shared libraries (actionc.codegen.library)
        if private_file(shared):
            shutil.copy2(shared, folder / shared.name)
    return target


def _companions(path: Path) -> list[Path]:
    """Numba's (and Python's) cache files of a kernel module."""
    try:
        return sorted((path.parent / "__pycache__").glob(f"{path.stem}.*"))
    except OSError:
        return []


def private_file(path: Path) -> bool:
    """A regular file owned by us (or root) that nobody else can write: by
    its mode, or because others cannot reach into its folders."""
    uid = _uid()
    try:
        info = path.lstat()
    except OSError:
        return False
    if not stat.S_ISREG(info.st_mode):
        return False
    if uid is None:
        return True
    writable = info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    return info.st_uid in (uid, 0) and not (writable and all(_exposed(f) for f in list(path.parents)[:3]))


def _whole_pickles(path: Path) -> bool:
    """Whether a Numba index (.nbi: two pickles) or data file (.nbc: one) parses
    to its end. Read by pickletools, which executes nothing."""
    import pickletools

    try:
        data = path.read_bytes()
        count = 2 if path.suffix == ".nbi" else 1
        for _ in range(count):
            end = max(position for _opcode, _argument, position in pickletools.genops(data))
            data = data[end + 1 :]  # past the STOP opcode
        return True
    except Exception:  # any malformation: truncated, garbage, unknown opcode
        return False


def sound(path: Path) -> None:
    """Before importing a kernel: delete its cache files that are not ours or
    not whole, so that Numba and Python rebuild them instead of failing."""
    companions = _companions(path)
    if any(not private_file(f) or (f.suffix in (".nbi", ".nbc") and not _whole_pickles(f)) for f in companions):
        for companion in companions:
            discard(companion)


def discard(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass


def lookup(key: str) -> str | None:
    """The kernel name recorded for an index key, if any."""
    read, write = _roots()
    for root in dict.fromkeys(r for r in (write, read) if r is not None):
        path = root / "index" / f"{key}.json"
        if not private_file(path):
            continue
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(entry, dict) and isinstance(entry.get("kernel"), str):
            return entry["kernel"]
    return None


def record(key: str, name: str) -> None:
    write_atomically(cache_dir() / "index" / f"{key}.json", json.dumps({"kernel": name}))
