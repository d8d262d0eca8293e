"""The zip gate in front of every workbook reader (DESIGN §8): zip directory checks, counted
inflation, and scans of the XML parts for entity declarations and far-apart cells."""
from __future__ import annotations

import os
import struct
import zipfile
import zlib
from typing import IO


from ..errors import EvidenceFileError

from .limits import _DAMAGED, _NOT_A_SPREADSHEET, _GiB, _KiB, _MiB, LimitExceededError, Limits, RawSheet, _one_line, _size  # noqa: F401
from .inflate import _IN_CHUNK, _OUT_CHUNK, _OVERLAP, _inflate  # noqa: F401
from .xmlscan import _CellScan, _irregular_cell_range, _XmlScan  # noqa: F401


# --------------------------------------------------------------------------- zip gate

_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")  # zipfile.structFileHeader
_RATIO_FLOOR = 1 * _MiB  # below this, a member's compression ratio is not held against it
_XML_SUFFIXES = (".xml", ".rels", ".vml")


def _inspect_open_zip(fh: IO[bytes], name: str, limits: Limits) -> None:
    fh.seek(0, os.SEEK_END)
    file_size = fh.tell()
    fh.seek(0)
    try:
        with zipfile.ZipFile(fh) as zf:  # a ZipFile given a file object leaves it open
            infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError, struct.error):
        raise EvidenceFileError(name, _DAMAGED) from None
    except NotImplementedError as exc:
        raise EvidenceFileError(name, f"{_DAMAGED}: {_one_line(exc)}") from None

    if len(infos) > limits.max_members:
        raise LimitExceededError(
            name,
            f"the zip has {len(infos)} members, over the member-count limit ({limits.max_members}); "
            "if the file is genuine, raise the limit",
            "max_members",
        )
    total = 0
    for info in infos:
        _check_declared(info, name, limits)
        total += info.file_size
    if total > limits.max_uncompressed_bytes:
        raise LimitExceededError(
            name,
            f"the workbook declares {_size(total)} uncompressed, which exceeds the uncompressed-size limit "
            f"({_size(limits.max_uncompressed_bytes)}); if the file is genuine, raise the limit",
            "max_uncompressed_bytes",
        )
    _check_kind(infos, name)

    inflated_total = 0
    for info in sorted(infos, key=lambda i: i.header_offset):
        inflated_total += _check_member(fh, file_size, info, name, limits, inflated_total)


def _check_declared(info: zipfile.ZipInfo, name: str, limits: Limits) -> None:
    member = info.filename
    if info.flag_bits & 0x1:
        raise EvidenceFileError(name, f"{_DAMAGED}: member {member!r} is encrypted")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise EvidenceFileError(
            name, f"{_DAMAGED}: member {member!r} uses an unsupported compression method ({info.compress_type})"
        )
    if info.file_size > limits.max_member_bytes:
        raise LimitExceededError(
            name,
            f"zip member {member!r} declares {_size(info.file_size)}, which exceeds the per-member size limit "
            f"({_size(limits.max_member_bytes)}); if the file is genuine, raise the limit",
            "max_member_bytes",
        )
    if info.file_size > _RATIO_FLOOR and info.file_size > limits.max_ratio * max(info.compress_size, 1):
        ratio = info.file_size / max(info.compress_size, 1)
        raise LimitExceededError(
            name,
            f"zip member {member!r} has a compression ratio of {ratio:.0f}:1, which exceeds the ratio limit "
            f"({limits.max_ratio:g}:1; possible zip bomb); if the file is genuine, raise the limit",
            "max_ratio",
        )


def _check_kind(infos: list[zipfile.ZipInfo], name: str) -> None:
    names = {i.filename.lower() for i in infos}
    if "xl/workbook.xml" in names:
        return
    if "xl/workbook.bin" in names:
        raise EvidenceFileError(name, "binary .xlsb workbooks are not supported: save it as .xlsx")
    if "content.xml" in names and "mimetype" in names:
        raise EvidenceFileError(name, "OpenDocument spreadsheets are not supported: save it as .xlsx")
    raise EvidenceFileError(name, _NOT_A_SPREADSHEET)


def _data_start(fh: IO[bytes], file_size: int, info: zipfile.ZipInfo, name: str) -> int:
    fh.seek(info.header_offset)
    header = fh.read(_LOCAL_HEADER.size)
    if len(header) != _LOCAL_HEADER.size:
        raise EvidenceFileError(name, _DAMAGED)
    fields = _LOCAL_HEADER.unpack(header)
    if fields[0] != b"PK\x03\x04":
        raise EvidenceFileError(name, _DAMAGED)
    start = info.header_offset + _LOCAL_HEADER.size + fields[10] + fields[11]
    if start + info.compress_size > file_size:
        raise EvidenceFileError(name, _DAMAGED)
    return start


def _check_member(
    fh: IO[bytes], file_size: int, info: zipfile.ZipInfo, name: str, limits: Limits, inflated_before: int
) -> int:
    """Inflate one member against the limits, scan it if it is XML; return its real size."""
    member = info.filename
    start = _data_start(fh, file_size, info, name)
    member_cap = limits.max_member_bytes
    ratio_cap = max(_RATIO_FLOOR, limits.max_ratio * max(info.compress_size, 1))
    total_cap = limits.max_uncompressed_bytes - inflated_before
    scan: _XmlScan | None = None
    inflated = 0
    crc = 0
    for out in _inflate(fh, info, start, name):
        inflated += len(out)
        if inflated > member_cap:
            raise LimitExceededError(
                name,
                f"zip member {member!r} inflates to more than the per-member size limit ({_size(member_cap)})"
                f"{_lie(info, inflated)}; if the file is genuine, raise the limit",
                "max_member_bytes",
            )
        if inflated > ratio_cap:
            raise LimitExceededError(
                name,
                f"zip member {member!r} inflates more than {limits.max_ratio:g}:1, which exceeds the ratio limit "
                f"(possible zip bomb){_lie(info, inflated)}; if the file is genuine, raise the limit",
                "max_ratio",
            )
        if inflated > total_cap:
            raise LimitExceededError(
                name,
                f"the workbook inflates to more than the uncompressed-size limit "
                f"({_size(limits.max_uncompressed_bytes)}){_lie(info, inflated)}; if the file is genuine, "
                "raise the limit",
                "max_uncompressed_bytes",
            )
        crc = zlib.crc32(out, crc)
        if scan is None and inflated == len(out) and _reader_may_parse(member) and _looks_xml(member, out):
            scan = _XmlScan(name, member, limits)
        if scan is not None:
            scan.feed(out)
    if inflated != info.file_size or crc != info.CRC:
        raise EvidenceFileError(
            name, f"{_DAMAGED}: member {member!r} does not match its size or checksum in the zip directory"
        )
    if scan is not None:
        scan.finish()
        if scan.cells.irregular:
            _irregular_cell_range(fh, info, start, name, limits)
        elif scan.cells.over:
            finer = _CellScan(name, member, limits, coarse=False)
            for out in _inflate(fh, info, start, name):
                finer.feed(out)
            finer.finish()
    return inflated


def _reader_may_parse(member: str) -> bool:
    """Parts the reader parses: workbook, styles, shared strings, sheets (all under xl/; names
    matched case-insensitively), plus the package's own relationship and content-type parts.
    Other parts (docProps, customXml, ...) are only inflated and counted."""
    low = member.lower()
    return low.startswith("xl/") or low in ("[content_types].xml", "_rels/.rels")


_SHEET_DIRS = ("xl/worksheets/", "xl/chartsheets/", "xl/dialogsheets/", "xl/macrosheets/")


def _looks_xml(member: str, first: bytes) -> bool:
    low = member.lower()
    if low.endswith(_XML_SUFFIXES) or low.startswith(_SHEET_DIRS):  # a sheet is parsed whatever its name
        return True
    head = first[:64]
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<") or head[:2] in (b"\xff\xfe", b"\xfe\xff")


def _lie(info: zipfile.ZipInfo, inflated: int) -> str:
    if inflated > info.file_size:
        return f" although it declares {_size(info.file_size)} (the zip misreports its sizes)"
    return ""
