"""PDFs are parsed with pypdf and refused when opening them could run or unpack anything."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import BinaryIO

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject, PdfObject

from domestyx.domain.model.errors import ActiveContent, UnprocessableDocument

# Keys whose mere presence means code, actions on open/close/focus, attachments or XFA forms.
_ACTIVE_KEYS = {
    "/JS": "JavaScript",
    "/JavaScript": "JavaScript",
    "/OpenAction": "an action run when the file is opened (/OpenAction)",
    "/AA": "actions run on viewer events (/AA)",
    "/Launch": "a /Launch action",
    "/EmbeddedFiles": "embedded files",
    "/EmbeddedFile": "embedded files",
    "/EF": "embedded files",
    "/XFA": "an XFA form",
    "/RichMedia": "rich media",
}
# Action types (/S) and annotation subtypes that run or unpack something.
_ACTIVE_NAMES = {
    "/JavaScript": "JavaScript",
    "/Launch": "a /Launch action",
    "/ImportData": "an /ImportData action",
    "/SubmitForm": "a /SubmitForm action",
    "/RichMediaExecute": "rich media",
    "/GoToE": "a link into an embedded file",
    "/FileAttachment": "embedded files",
    "/RichMedia": "rich media",
    "/EmbeddedFile": "embedded files",
}
_MAX_OBJECTS = 200_000  # more than any scan; past it the file is refused, not walked forever
_TYPE_KEYS = ("/S", "/Subtype", "/Type")


def check_pdf(body: BinaryIO) -> None:
    """Parse the whole object table; raise unless it is a plain, unencrypted document."""
    body.seek(0)
    try:
        reader = PdfReader(body, strict=False)
        if reader.is_encrypted:
            raise UnprocessableDocument(
                "encrypted or password-protected PDF files cannot be reviewed", reason="encrypted"
            )
        if len(reader.pages) == 0:
            raise UnprocessableDocument("the PDF has no pages", reason="undecodable")
        for found in _walk(reader):
            _judge(found)
    except UnprocessableDocument:
        raise
    except RecursionError as exc:
        raise UnprocessableDocument("the PDF is nested too deeply", reason="undecodable") from exc
    # pypdf raises many kinds of error on hostile input (KeyError, TypeError, struct.error...);
    # every one of them means the same thing here: the file does not parse.
    except Exception as exc:
        logging.getLogger("domestyx.documents").info("PDF refused: %s", type(exc).__name__)
        raise UnprocessableDocument("the PDF could not be parsed", reason="undecodable") from exc


def _objects_in_xref(reader: PdfReader) -> Iterator[PdfObject]:
    """Every object the cross-reference tables list, used or not, compressed or not."""
    yield reader.trailer
    numbers = {(num, gen) for gen, entries in reader.xref.items() for num in entries}
    numbers |= {(num, 0) for num in reader.xref_objStm}
    for num, gen in sorted(numbers):
        found = reader.get_object(IndirectObject(num, gen, reader))
        if found is not None:
            yield found


def _walk(reader: PdfReader) -> Iterator[DictionaryObject]:
    """Every dictionary reachable from any listed object, each visited once."""
    pending: list[PdfObject | None] = list(_objects_in_xref(reader))
    seen, count = set[int](), 0
    while pending:
        item = pending.pop()
        if isinstance(item, IndirectObject):
            item = item.get_object()
        if id(item) in seen or not isinstance(item, (DictionaryObject, ArrayObject)):
            continue
        seen.add(id(item))
        count += 1
        if count > _MAX_OBJECTS:
            raise UnprocessableDocument("the PDF has too many objects", reason="undecodable")
        if isinstance(item, DictionaryObject):
            yield item
            pending.extend(item.values())
        else:
            pending.extend(item)


def _judge(item: DictionaryObject) -> None:
    for key in item:
        if key in _ACTIVE_KEYS:
            raise _active(_ACTIVE_KEYS[key])
    for key in _TYPE_KEYS:
        value = item.get(key)
        if isinstance(value, NameObject) and value in _ACTIVE_NAMES:
            raise _active(_ACTIVE_NAMES[value])


def _active(what: str) -> ActiveContent:
    return ActiveContent(f"the PDF carries {what}; such files are refused", reason="active-content")
