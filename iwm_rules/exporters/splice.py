"""A big JSON document written in pieces instead of one string.

The document is encoded once with a placeholder where each long list goes (a one-element list
holding a marker string with a random token, so no real value can be mistaken for it); the
lists are then encoded a chunk at a time and written into the gaps. The bytes are those the
encoder gives for the whole document at once, compact or indented by two spaces (orjson's
``OPT_INDENT_2``, ``json.dumps(indent=2)``): an indented chunk is shifted to the depth of its
list.

    splice = Splice()
    doc = {**data, "evidence": splice.hole(chunks_of_records)}
    for piece in splice.pieces(encode(doc), encode):
        fh.write(piece)
"""
from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Iterator


class Splice:
    def __init__(self) -> None:
        self._token = secrets.token_hex(8)
        self._holes: dict[str, Iterable[list]] = {}

    def hole(self, chunks: Iterable[list]) -> list:
        """The placeholder to put in the document where the items of ``chunks`` (lists, read once,
        at least one item in all) go."""
        name = f"\x00splice {len(self._holes)} {self._token}\x00"
        self._holes[name] = chunks
        return [name]

    def pieces(self, skeleton: bytes, encode: Callable[[object], bytes]) -> Iterator[bytes]:
        """The bytes of the whole document: ``skeleton`` (the document with the placeholders,
        encoded) with each placeholder replaced by its items, encoded with ``encode`` (the same
        encoder and options as the skeleton, without a trailing newline)."""
        cuts = []
        for name, chunks in self._holes.items():
            marker = encode(name)
            at = skeleton.find(marker)
            if at < 0 or skeleton.find(marker, at + 1) >= 0:
                raise ValueError("a placeholder is not in the encoded document exactly once")
            cuts.append((at, marker, chunks))
        cuts.sort(key=lambda c: c[0])
        pos = 0
        for at, marker, chunks in cuts:
            yield skeleton[pos:at]
            yield from _items(chunks, encode, skeleton[skeleton.rfind(b"\n", 0, at) + 1:at])
            pos = at + len(marker)
        yield skeleton[pos:]


def _items(chunks: Iterable[list], encode: Callable[[object], bytes], before: bytes) -> Iterator[bytes]:
    """The items of every chunk as they appear inside their list; ``before``: what precedes the
    placeholder on its line (only spaces when the document is indented)."""
    indented = bool(before) and not before.strip(b" ")
    if indented:
        # ``[\n  a,\n  b\n]`` at the top level: each line two spaces deeper per level, so a
        # chunk moves to the placeholder's depth by adding the difference to every line
        shift = b"\n" + b" " * (len(before) - 2)
        sep = b",\n" + before
    else:
        sep = b","
    first = True
    for chunk in chunks:
        if not chunk:
            continue
        text = encode(chunk)
        inner = text[4:-2].replace(b"\n", shift) if indented else text[1:-1]
        yield inner if first else sep + inner
        first = False
    if first:
        raise ValueError("a placeholder was given no items")
