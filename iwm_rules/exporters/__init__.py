"""Assessment -> files. Each format is one module with ``write(data, path)`` over plain records;
exporters never compute scores. Files are written to a temporary name and renamed."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from collections.abc import Callable

from . import json_export

FORMATS: dict[str, tuple[str, Callable[[dict, Path], None]]] = {
    "json": ("assessment.json", json_export.write),
}
SUFFIX_TO_FORMAT = {".json": "json"}


def atomic_write(path: Path, write: Callable[[Path], None]) -> Path:
    """Write through a temporary file in the same folder, then rename over ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def export(assessment, path, fmt: str | None = None) -> Path:
    """Write ``assessment`` (an Assessment or its dict) to ``path``; format from the suffix."""
    data = assessment.to_dict() if hasattr(assessment, "to_dict") else assessment
    path = Path(path)
    fmt = fmt or SUFFIX_TO_FORMAT.get(path.suffix.lower())
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r} for {path} (known: {', '.join(FORMATS)})")
    return atomic_write(path, lambda tmp: FORMATS[fmt][1](data, tmp))
