"""E-mail loader: ``.eml`` messages and ``.mbox`` mailboxes.

Each message is located by a heading naming it: ``subject — sender, date``. Its text is a
short header block (From, To, Cc, Date, Subject) and the ``text/plain`` body, or the HTML
body read by the HTML loader when there is no plain one. Attached messages are read the
same way, under the message; any other attachment whose file type ragtui reads (PDF,
Word, Markdown, CSV, …) is read by its loader, when the caller passes ``read_attachment``,
and becomes sections headed ``attachment NAME``. Attachments of other types are skipped,
and so is one that fails to read: the message is still worth having.

An mbox is cut at its ``From `` lines here rather than with :mod:`mailbox`, which reads
only from a path, not from the bytes already read.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import PurePath

from ragtui.core.ingest.document import LoadedDocument, LoaderError, Section
from ragtui.core.ingest.loaders import html
from ragtui.core.ingest.loaders._decode import decode_text, normalize_newlines

NAME = "email"
SUFFIXES = frozenset({".eml", ".mbox"})

#: Reads an attachment's bytes by its file name; None when ragtui does not read that type.
AttachmentReader = Callable[[bytes, str], LoadedDocument | None]

MAX_DEPTH = 4  # messages attached to messages attached to …
_HEADERS = ("From", "To", "Cc", "Date", "Subject")
_MESSAGE_HEADERS = ("From", "To", "Subject", "Date", "Message-ID")
_FROM_LINE = re.compile(rb"^From ", re.MULTILINE)
_ESCAPED_FROM = re.compile(rb"^>(>*From )", re.MULTILINE)
_SPACE = re.compile(r"\s+")


def _header(message: Message, key: str) -> str:
    """A header's decoded value, whitespace collapsed ("" when absent or unreadable)."""
    try:
        value = message.get(key)
    except Exception:  # a header so malformed the parser chokes on it: take it raw
        value = next((v for k, v in message.raw_items() if k.lower() == key.lower()), "")
    return _SPACE.sub(" ", str(value or "")).strip()


def _sender(raw: str) -> str:
    addresses = getaddresses([raw])
    if addresses and (addresses[0][0] or addresses[0][1]):
        display, address = addresses[0]
        return display.strip() or address.strip()
    return raw


def _date(raw: str) -> str:
    try:
        return parsedate_to_datetime(raw).strftime("%Y-%m-%d")
    except (TypeError, ValueError, IndexError):
        return raw


def message_heading(message: Message) -> str:
    """``subject — sender, date`` (the parts it has)."""
    subject = _header(message, "Subject") or "(no subject)"
    who = ", ".join(
        part
        for part in (_sender(_header(message, "From")), _date(_header(message, "Date")))
        if part
    )
    return f"{subject} — {who}" if who else subject


def _part_text(part: Message) -> str:
    """A text part decoded (its declared charset, else a guess)."""
    try:
        content = part.get_content()  # type: ignore[attr-defined]
        if isinstance(content, str):
            return normalize_newlines(content)
    except (LookupError, UnicodeError, AttributeError, ValueError):
        pass
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes) or not payload:
        return ""
    try:
        return decode_text(payload, "message part")[0]
    except Exception:
        return payload.decode("utf-8", errors="replace")


def _body(message: EmailMessage, name: str, heading: tuple[str, ...]) -> list[Section]:
    values = ((key, _header(message, key)) for key in _HEADERS)
    block = "\n".join(f"{key}: {value}" for key, value in values if value)
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return [Section(text=block, heading=heading, kind="entry")] if block else []
    text = _part_text(part)
    if part.get_content_subtype() == "html":
        sections = html.parse_bytes(text.encode("utf-8"), name).sections
        out = [Section(text=block, heading=heading, kind="entry")] if block else []
        for section in sections:
            out.append(
                Section(text=section.text, heading=(*heading, *section.heading), kind="entry")
            )
        return out
    body = text.strip()
    full = f"{block}\n\n{body}" if block and body else block or body
    return [Section(text=full, heading=heading, kind="entry")] if full else []


def _attachment(
    part: EmailMessage,
    name: str,
    heading: tuple[str, ...],
    read_attachment: AttachmentReader | None,
    depth: int,
) -> list[Section]:
    if part.get_content_type() == "message/rfc822":
        inner = part.get_payload()
        inner_message = inner[0] if isinstance(inner, list) and inner else None
        if isinstance(inner_message, EmailMessage):
            return _message(inner_message, name, heading, read_attachment, depth + 1)
        return []
    filename = PurePath(part.get_filename() or "").name
    if not filename or read_attachment is None:
        return []
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes) or not data:
        return []
    try:
        document = read_attachment(data, filename)
    except LoaderError:
        return []  # an unreadable attachment does not lose the message
    if document is None:
        return []
    where = (*heading, f"attachment {filename}")
    return [
        Section(text=s.text, heading=(*where, *s.heading), page=s.page, kind=s.kind)
        for s in document.sections
    ]


def _message(
    message: EmailMessage,
    name: str,
    parent: tuple[str, ...],
    read_attachment: AttachmentReader | None,
    depth: int = 0,
) -> list[Section]:
    heading = (*parent, message_heading(message))
    sections = _body(message, name, heading)
    if depth < MAX_DEPTH:
        for part in message.iter_attachments():
            if isinstance(part, EmailMessage):
                sections.extend(_attachment(part, name, heading, read_attachment, depth))
    return sections


def _parse(data: bytes) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(data)
    assert isinstance(message, EmailMessage)
    return message


def split_mbox(data: bytes, name: str) -> list[bytes]:
    """The messages of an mbox (each without its ``From `` line, ``>From`` unescaped)."""
    start = len(data) - len(data.lstrip(b"\r\n"))
    if not data.startswith(b"From ", start):
        raise LoaderError(
            f'{name} is not an mbox mailbox (it does not begin with a "From " line): export '
            "the folder again from your mail program."
        )
    cuts = [m.start() for m in _FROM_LINE.finditer(data, start)] + [len(data)]
    messages = []
    for begin, end in itertools.pairwise(cuts):
        chunk = data[begin:end]
        newline = chunk.find(b"\n")
        body = chunk[newline + 1 :] if newline >= 0 else b""
        if body.strip():
            messages.append(_ESCAPED_FROM.sub(rb"\1", body))
    return messages


def parse_bytes(
    data: bytes, name: str, *, read_attachment: AttachmentReader | None = None
) -> LoadedDocument:
    """Read an ``.eml`` message or an ``.mbox`` mailbox."""
    if PurePath(name.lower().removesuffix(".gz")).suffix == ".mbox":
        sections = []
        for raw in split_mbox(data, name):
            sections.extend(_message(_parse(raw), name, (), read_attachment))
        return LoadedDocument(loader=NAME, sections=sections)
    message = _parse(data)
    if not any(_header(message, key) for key in _MESSAGE_HEADERS):
        raise LoaderError(
            f"{name} is not an e-mail message (it has no From, To, Subject or Date header): "
            "save the message again from your mail program."
        )
    return LoadedDocument(loader=NAME, sections=_message(message, name, (), read_attachment))
