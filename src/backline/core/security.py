"""Web hardening shared by every app: which uploads are refused, and how stored files go out.

Uploads are checked by size (a setting per kind) and by type: a support desk needs logs, images,
PDFs, archives, office documents, packet captures, crash dumps and saved web pages, so rather than
an allowlist that would turn away the odd file an engineer needs, files that run when someone
double-clicks them are refused — by extension and, whatever the name, by the executable headers
of Windows (PE), Linux (ELF programs and libraries) and macOS (Mach-O). Core dumps stay allowed.

Downloads of stored files are always attachments of type application/octet-stream with nosniff
and a sandboxing CSP, so an HTML, SVG or JavaScript upload can never run in the desk's origin.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from typing import IO

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse

from backline.core.errors import DomainError, TooLarge

# Files Windows, macOS or a desktop runs (or merges into the system) when opened. Shell and Python
# scripts are not here: engineers exchange them, and they do not run from a download by a click.
BLOCKED_EXTENSIONS = frozenset({
    "exe", "dll", "com", "scr", "pif", "cpl", "msi", "msp", "mst", "msc", "bat", "cmd", "vb",
    "vbs", "vbe", "js", "jse", "ws", "wsf", "wsc", "wsh", "ps1", "ps1xml", "ps2", "ps2xml",
    "psc1", "psc2", "psm1", "psd1", "hta", "lnk", "inf", "reg", "scf", "sct", "shs", "jar",
    "gadget", "application", "appref-ms", "xll", "xbap", "url", "website", "settingcontent-ms",
    "library-ms", "iso", "vhd", "vhdx", "app", "command", "pkg", "mpkg", "dmg", "desktop",
    "appimage",
})  # fmt: skip

# ELF e_type values that are programs or libraries (ET_EXEC, ET_DYN); ET_CORE (4) is a core dump.
_ELF_RUNNABLE = {2, 3}
# Mach-O magics (both byte orders, 32/64 bit) and the fat/universal header; file type 4 is a core.
_MACHO = {b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe"}
_SNIFF_BYTES = 4096


def blocked_extensions() -> frozenset[str]:
    """The refused file extensions (lower case, no dot): the default, or the setting."""
    configured: Iterable[str] | None = getattr(settings, "BACKLINE_BLOCKED_UPLOAD_EXTENSIONS", None)
    if configured is None:
        return BLOCKED_EXTENSIONS
    return frozenset(e.strip().lower().lstrip(".") for e in configured if e.strip())


def _is_pe(head: bytes) -> bool:
    if not head.startswith(b"MZ") or len(head) < 0x40:
        return False
    (offset,) = struct.unpack_from("<I", head, 0x3C)
    # A PE header where the DOS stub points to; DOS-only MZ programs are refused too.
    return head[offset : offset + 4] == b"PE\x00\x00" if offset + 4 <= len(head) else True


def _is_elf_program(head: bytes) -> bool:
    if not head.startswith(b"\x7fELF") or len(head) < 18:
        return False
    order = "<" if head[5] == 1 else ">"
    (e_type,) = struct.unpack_from(order + "H", head, 16)
    return e_type in _ELF_RUNNABLE


def _is_macho_program(head: bytes) -> bool:
    if head[:4] == b"\xca\xfe\xba\xbe":
        # Universal binary, or a Java class file (same magic): both are code, neither is a log.
        return True
    if head[:4] not in _MACHO or len(head) < 16:
        return False
    order = "<" if head[:4] in {b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe"} else ">"
    (filetype,) = struct.unpack_from(order + "I", head, 12)
    return filetype != 4  # MH_CORE


def refusal_reason(name: str, head: bytes) -> str | None:
    """Why a file with this name and these first bytes is refused (a sentence that goes after
    the file's name), or None when it is accepted."""
    # Windows drops trailing dots and spaces, so "run.exe. " opens as run.exe.
    base = (name or "").strip().rstrip(" .")
    ext = base.rsplit(".", 1)[-1].lower() if "." in base else ""
    if ext and ext in blocked_extensions():
        return (
            f".{ext} files are not accepted, because they run when opened. "
            "Put the file in a zip archive if support needs it."
        )
    if _is_pe(head) or _is_elf_program(head) or _is_macho_program(head):
        return (
            "it is a program (an executable), which is not accepted. "
            "Put it in a zip archive if support needs it."
        )
    return None


def _head(upload: UploadedFile) -> bytes:
    upload.seek(0)
    head = upload.read(_SNIFF_BYTES)
    upload.seek(0)
    return head if isinstance(head, bytes) else head.encode()


def check_upload(upload: UploadedFile, *, limit: int | None = None, field: str = "file") -> None:
    """Refuse an upload over the size limit (413) or of a refused type (422), naming the file."""
    limit = settings.BACKLINE_MAX_ATTACHMENT_BYTES if limit is None else limit
    name = upload.name or "file"
    if upload.size is None or upload.size > limit:
        raise TooLarge(f"{name} is larger than the {_megabytes(limit)} limit.", field=field)
    check_upload_type(upload, field=field)


def check_upload_type(upload: UploadedFile, *, field: str = "file") -> None:
    """Refuse a program (by extension or executable header) with a 422 naming the file."""
    name = upload.name or "file"
    reason = refusal_reason(name, _head(upload))
    if reason:
        raise DomainError(f"{name}: {reason}", code="file_type_refused", field=field)


def _megabytes(limit: int) -> str:
    mb = limit / (1024 * 1024)
    return f"{mb:.0f} MB" if mb >= 1 else f"{limit:,} bytes"


def attachment_response(fileobj: IO[bytes], *, filename: str) -> FileResponse:
    """A stored user file as a download: never rendered by the browser, whatever it contains."""
    response = FileResponse(
        fileobj, as_attachment=True, filename=filename, content_type="application/octet-stream"
    )
    response["X-Content-Type-Options"] = "nosniff"
    # Should a browser render it anyway, it runs in an opaque origin with nothing allowed.
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Cache-Control"] = "private, no-store"
    return response
