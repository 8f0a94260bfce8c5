"""What a file's bytes and name may be: signatures, text checks, safe file names."""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Iterable
from urllib.parse import quote

from chalicelib.attachments.models import (
    FILE_KINDS,
    HEAD_BYTES,
    MAX_FILENAME_CHARS,
    Attachment,
    FileKind,
    StoredObject,
)


def clean_filename(raw: str, fallback_extension: str = "") -> str:
    """A filename safe to show and to put in Content-Disposition.

    The last path component only, NFC, no control or format characters (so no
    NUL, no right-to-left override), whitespace collapsed, no leading or
    trailing dots, at most 100 characters with the extension kept.
    """
    name = unicodedata.normalize("NFC", raw)
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(char for char in name if not unicodedata.category(char).startswith("C"))
    name = " ".join(name.split()).strip(" .")
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem or len(extension) > 10 or not extension.isalnum():
        stem, extension = name, ""
    suffix = f".{extension}" if extension else ""
    stem = stem[: MAX_FILENAME_CHARS - len(suffix)].rstrip(" .")
    if not stem:
        return "fichier" + (suffix or fallback_extension)
    return stem + suffix


def filename_for(raw: str, kind: FileKind) -> str:
    """A clean filename whose extension is its content type's: what it is stored and
    downloaded as. The type is checked against the bytes before the file is ready
    (`rejection_reason`), so `facture.pdf.cmd` sent as text becomes `facture.pdf.txt`,
    never a name a desktop would run."""
    name = clean_filename(raw, kind.extension)
    stem, dot, extension = name.rpartition(".")
    if dot and stem and f".{extension.lower()}" in kind.extensions:
        return name
    if dot and stem:
        name = stem
    name = name[: MAX_FILENAME_CHARS - len(kind.extension)].rstrip(" .") or "fichier"
    return name + kind.extension


def content_disposition(filename: str) -> str:
    """`attachment`, with an ASCII fallback name and the exact UTF-8 one (RFC 6266)."""
    decomposed = unicodedata.normalize("NFKD", filename)
    ascii_name = decomposed.encode("ascii", "ignore").decode().replace('"', "").replace("\\", "")
    return f"attachment; filename=\"{ascii_name or 'fichier'}\"; filename*=UTF-8''" + quote(
        filename, safe=""
    )


def rejection_reason(attachment: Attachment, stored: StoredObject) -> str | None:
    """Why a stored object cannot be this attachment, in French; None if it can."""
    kind = FILE_KINDS[attachment.content_type]
    if stored.size < 1:
        return "Le fichier est vide."
    if stored.size > attachment.declared_size:
        return (
            f"Le fichier ({stored.size} octets) dépasse la taille annoncée "
            f"({attachment.declared_size} octets)."
        )
    stored_type = stored.content_type.split(";")[0].strip().lower()
    if stored_type != attachment.content_type:
        return f"Le fichier a été envoyé comme « {stored_type or 'inconnu'} », pas {kind.label}."
    if kind.text:
        return text_problem(stored.chunks, xml=attachment.content_type.endswith("xml"))
    head = b"".join(stored.chunks)[:HEAD_BYTES]
    if not matches_signature(attachment.content_type, head):
        return f"Le contenu du fichier n'est pas celui d'un(e) {kind.label}."
    return None


def matches_signature(content_type: str, head: bytes) -> bool:
    """Whether the first bytes are those of `content_type` (binary types)."""
    if content_type == "image/webp":
        return head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    return any(head.startswith(signature) for signature in FILE_KINDS[content_type].signatures)


def text_problem(chunks: Iterable[bytes], *, xml: bool = False) -> str | None:
    """Why streamed bytes are not UTF-8 text without NUL (or not XML-looking); None if fine.

    Decoded incrementally, so a 10 MB file costs 64 KiB of memory, and a
    character split across two chunks is not an error.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    start = ""
    try:
        for chunk in chunks:
            text = decoder.decode(chunk)
            if "\x00" in text:
                return "Le texte contient un caractère nul."
            if xml and len(start) < 64:
                start += text[:64]
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "Le texte n'est pas encodé en UTF-8."
    if xml and not start.lstrip("\ufeff \t\r\n").startswith("<"):
        return "Le contenu du fichier n'est pas du XML."
    return None
