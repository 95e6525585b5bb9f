"""Read WeCom's flat XML documents safely and cheaply: ``<xml><Tag>text</Tag>...</xml>`` -> {tag: text}.

WeCom sends two XML documents per callback (the envelope around ``Encrypt``, then the decrypted
message), both flat. They are read with the standard library's expat parser directly, with the
same protections defusedxml installs: any DTD is refused (``<!DOCTYPE``), and with it every
entity declaration, so nothing can expand (billion laughs) or be fetched (external entities); an
undeclared entity reference is a parse error. Building an ElementTree through defusedxml cost
~31 µs per document against ~14 µs here, and each WeCom message is two documents.

Only the root's children are read; the text of deeper elements (``ScanCodeInfo/ScanType`` in a
few events) is not needed by WeiGrid and is skipped.
"""

from __future__ import annotations

from typing import NoReturn
from xml.parsers import expat


class UnsafeXml(ValueError):
    """The document declares a DTD or an entity."""


class _Reader:
    __slots__ = ("buffer", "depth", "fields")

    def __init__(self) -> None:
        self.fields: dict[str, str] = {}
        self.buffer: list[str] = []
        self.depth = 0

    def start(self, _name: str, _attrs: dict[str, str]) -> None:
        self.depth += 1
        if self.depth == 2:
            self.buffer = []

    def data(self, text: str) -> None:
        if self.depth == 2:
            self.buffer.append(text)

    def end(self, name: str) -> None:
        if self.depth == 2:
            self.fields[name] = "".join(self.buffer)
        self.depth -= 1


def _refuse(*_args: object) -> NoReturn:
    raise UnsafeXml("DTDs and entities are not accepted")


def read_flat_xml(text: str) -> dict[str, str]:
    """Parse a flat XML document into {child tag: text}.

    Raises:
        UnsafeXml: The document has a DTD or declares entities.
        ValueError: The document is malformed (``expat.ExpatError`` is a ``ValueError`` here).
    """
    reader = _Reader()
    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = _refuse
    parser.EntityDeclHandler = _refuse
    parser.UnparsedEntityDeclHandler = _refuse
    parser.ExternalEntityRefHandler = _refuse
    parser.StartElementHandler = reader.start
    parser.CharacterDataHandler = reader.data
    parser.EndElementHandler = reader.end
    try:
        parser.Parse(text, True)
    except expat.ExpatError as exc:
        raise ValueError(f"malformed XML: {exc}") from None
    if reader.depth != 0:
        raise ValueError("malformed XML: unclosed element")
    return reader.fields
