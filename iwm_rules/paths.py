"""Input and output paths, checked before any work starts.

``expand_inputs`` turns the paths a user named into evidence files (folders searched
recursively); ``unique_files`` reads a file reached twice (named twice, ``./a.csv`` and
``a.csv``, a folder and a file in it, a symbolic or hard link) once, with a warning;
``check_outdir`` makes sure the report folder can be written before the assessment runs.
Each problem raises :class:`PathError` with one line naming the path and what to do.
"""
from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path

from .errors import IwmRulesError

EVIDENCE_SUFFIXES = (".xlsx", ".xlsm", ".csv")


class PathError(IwmRulesError):
    """An input or output path cannot be used; ``str(err)`` is one line naming it."""

    def __init__(self, path, message: str):
        self.path = str(path)
        self.message = message
        super().__init__(f"{self.path}: {message}")


def _why(exc: OSError) -> str:
    return exc.strerror.lower() if exc.strerror else exc.__class__.__name__


def _is_evidence_name(name: str) -> bool:
    return name.lower().endswith(EVIDENCE_SUFFIXES) and not name.startswith(("~$", "."))


def _check_readable(path: Path) -> None:
    """Open and close ``path`` (without blocking on a pipe): an unreadable file is an input error now."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except PermissionError:
        raise PathError(path, "cannot be read (permission denied)") from None
    except OSError as exc:
        raise PathError(path, f"cannot be read ({_why(exc)})") from None
    os.close(fd)


def _identity(path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _walk(folder: Path, skip: set) -> list[Path]:
    """Evidence files under ``folder``, following linked folders once and not entering the
    subfolders in ``skip`` (identities); an unreadable folder or file raises."""
    found: list[Path] = []
    seen: set[tuple[int, int]] = set()

    def fail(exc: OSError):
        where = exc.filename or folder
        if isinstance(exc, PermissionError):
            raise PathError(where, "folder cannot be read (permission denied); fix its permissions or "
                                   "name the readable files instead") from None
        raise PathError(where, f"folder cannot be read ({_why(exc)})") from None

    for top, dirs, names in os.walk(folder, onerror=fail, followlinks=True):
        try:
            st = os.stat(top)
        except OSError as exc:
            fail(exc)
        key = (st.st_dev, st.st_ino)
        if key in seen or (key in skip and top != str(folder)):  # a link back up the tree; the report folder
            dirs[:] = []
            continue
        seen.add((st.st_dev, st.st_ino))
        dirs.sort()
        for name in sorted(names):
            if not _is_evidence_name(name):
                continue
            path = Path(top, name)
            try:
                regular = stat.S_ISREG(os.stat(path).st_mode)
            except FileNotFoundError:
                raise PathError(path, "is a broken symbolic link; remove it or name the other files") from None
            except OSError as exc:
                raise PathError(path, f"cannot be read ({_why(exc)})") from None
            if regular:
                _check_readable(path)
                found.append(path)
    return sorted(found)


def expand_inputs(paths: Iterable, *, exclude: Iterable = ()) -> list[Path]:
    """Files as given, folders searched recursively for ``.xlsx``, ``.xlsm`` and ``.csv`` files.

    A missing path, an unreadable file or subfolder, a broken link, or a folder with no
    evidence file raises :class:`PathError` (never a silent skip). Folders in ``exclude``
    (the report folder: its ``practices.csv`` is not evidence) are not entered when found
    inside a searched folder.
    """
    skip = {k for k in map(_identity, exclude) if k}
    files: list[Path] = []
    for p in paths:
        if str(p) == "":
            raise PathError("''", "an empty path was given; name an evidence file or folder")
        path = Path(p)
        try:
            st = os.stat(path)
        except (FileNotFoundError, NotADirectoryError):
            if os.path.lexists(path):
                raise PathError(path, "is a broken symbolic link") from None
            raise PathError(path, "file not found") from None
        except PermissionError:
            raise PathError(path, "cannot be read (permission denied)") from None
        except OSError as exc:
            raise PathError(path, f"cannot be read ({_why(exc)})") from None
        if stat.S_ISDIR(st.st_mode):
            found = _walk(path, skip)
            if not found:
                raise PathError(path, "no .xlsx, .xlsm or .csv files in this folder")
            files.extend(found)
        else:
            if stat.S_ISREG(st.st_mode):
                _check_readable(path)
            files.append(path)  # not a regular file: the reader says so
    return files


def unique_files(files: Iterable) -> tuple[list[Path], list[dict]]:
    """``files`` with every file reached more than once kept at its first mention, and one
    warning per dropped mention (``{file, kind: duplicate_input, message}``)."""
    out: list[Path] = []
    first: dict[tuple, Path] = {}
    warnings: list[dict] = []
    for f in files:
        path = Path(f)
        try:
            st = os.stat(path)
            key: tuple = (st.st_dev, st.st_ino)
        except OSError:  # missing or unreadable: the reader reports it
            key = ("path", os.path.abspath(path))
        if key in first:
            same = first[key]
            how = ("listed more than once (by name or through a folder)" if str(same) == str(path)
                   else f"the same file as {same}")
            warnings.append({"file": str(path), "kind": "duplicate_input",
                             "message": f"{how}; read once"})
            continue
        first[key] = path
        out.append(path)
    return out, warnings


def _refuse_special(target: Path) -> None:
    """A report is renamed over its target: a device, pipe or socket there would be replaced
    by a regular file (``-o /dev/null`` run as root), so it is refused."""
    try:
        st = os.stat(target)
    except OSError:
        return
    if not stat.S_ISREG(st.st_mode) and not stat.S_ISDIR(st.st_mode):
        raise PathError(target, "is a device or other special file, not a regular file; name a file to write")


def check_output_file(output) -> Path:
    """Make sure one report file ``output`` can be written (its folder created and writable),
    before any work starts. Refused: an empty name, a folder, a device or other special file
    (``/dev/null``, a pipe), a path below a file."""
    if str(output) == "":
        raise PathError("''", "the output file name is empty; name a file")
    target = Path(output)
    if target.is_dir():
        raise PathError(target, "is a folder; name a file to write")
    _refuse_special(target)
    check_outdir(target.parent if str(target.parent) else ".", [target.name])
    return target


def check_outdir(outdir, names: Iterable[str] = ()) -> Path:
    """Make sure reports named ``names`` can be written in ``outdir``, creating the folder.

    Refused: a path that is a file or a device (``/dev/null``), a path below a file
    (``notes.txt/sub``), a folder where a report should go, a folder that cannot be created
    or written. Nothing is left behind by the check itself but the (empty) folder.
    """
    if str(outdir) == "":
        raise PathError("''", "the output folder is empty; name a folder")
    out = Path(outdir)
    for parent in [out, *out.parents]:
        if os.path.lexists(parent):
            if parent.is_dir():
                break
            if not parent.exists():
                raise PathError(parent, "is a broken symbolic link; name a folder for the reports")
            kind = "a file" if parent.is_file() else "a device or other special file"
            if parent == out:
                raise PathError(out, f"is {kind}, not a folder; name a folder for the reports")
            raise PathError(out, f"cannot be created: {parent} is {kind}, not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except PermissionError:
        raise PathError(out, "cannot create the folder (permission denied)") from None
    except OSError as exc:
        raise PathError(out, f"cannot create the folder ({_why(exc)})") from None
    for name in names:
        target = out / name
        if target.is_dir():
            raise PathError(target, "is a folder; the report cannot be written there")
        _refuse_special(target)
    try:
        with tempfile.TemporaryFile(dir=out, prefix=".iwm-rules-check."):
            pass
    except PermissionError:
        raise PathError(out, "folder is not writable (permission denied)") from None
    except OSError as exc:
        raise PathError(out, f"folder is not writable ({_why(exc)})") from None
    return out
