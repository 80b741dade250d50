"""Document file names the API accepts, and when two names are too alike to tell apart.

Usage::

    sanitise_filename("cafe\u0301 report.pdf")      # 'café report.pdf' (NFC), or UploadRejectedError (400)
    name_skeleton("Free_Zone-C\u043engress.TXT")     # 'freezonecongresstxt': equal skeletons look alike

The safe set (documented in docs/SECURITY.md): after NFC normalisation a name is made of Unicode
letters, digits and combining marks, ASCII spaces and ``- _ . , ( ) [ ] + & ' @ ! ~ # =``; at most
:data:`MAX_NAME_BYTES` bytes of UTF-8 (so the hidden ``.<name>.partial`` file written during an
upload stays under the 255-byte limit of common file systems); no leading dot, no ``..``, no
leading or trailing space and no trailing dot. Everything else (control characters including DEL
and U+0085, zero-width and bidi characters, non-ASCII spaces, path separators, drive letters,
quotes, wildcards, look-alike punctuation) is refused, never silently changed.
"""

from __future__ import annotations

import unicodedata

from core.errors import RejectionReason, UploadRejectedError

#: Longest name in UTF-8 bytes. 255 (ext4, APFS, NTFS in UTF-16 units) minus the ``.``/``.partial``
#: wrapper of the upload's temporary file, with room to spare.
MAX_NAME_BYTES = 200
#: ASCII punctuation allowed besides letters, digits and combining marks.
SAFE_PUNCTUATION = frozenset(" -_.,()[]+&'@!~#=")
_SAFE_CATEGORIES = ("L", "N", "M")  # letters, numbers, marks (after NFC only the needed marks remain)

# Look-alikes folded by :func:`name_skeleton` (a small subset of Unicode TR39's confusables: the
# Cyrillic and Greek letters that render like Latin ones, and digit/letter pairs).
_CONFUSABLES = str.maketrans(
    {
        "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s",
        "ԁ": "d", "һ": "h", "ӏ": "l", "к": "k", "м": "m", "н": "h", "т": "t", "в": "b", "ԛ": "q", "ԝ": "w",
        "α": "a", "ε": "e", "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "ν": "v", "ι": "i", "κ": "k", "χ": "x",
        "0": "o", "1": "l", "I": "l", "|": "l",
    }
)  # fmt: skip


def _reject(name: str, problems: list[str]) -> UploadRejectedError:
    return UploadRejectedError(
        RejectionReason.INVALID_NAME, f"Invalid file name {name!r}: it contains {', '.join(problems)}."
    )


def _unsafe_characters(name: str) -> list[str]:
    found: list[str] = []
    for char in name:
        if char in SAFE_PUNCTUATION or (char.isascii() and char.isalnum()):
            continue
        if not char.isascii() and unicodedata.category(char)[0] in _SAFE_CATEGORIES:
            continue
        label = f"U+{ord(char):04X}"
        if label not in found:
            found.append(label)
    return found


def sanitise_filename(name: str | None) -> str:
    """The upload's name, NFC-normalised, if it is a plain safe file name; else a 400 rejection.

    >>> sanitise_filename("zone report.pdf")
    'zone report.pdf'
    """
    if not name:
        raise UploadRejectedError(RejectionReason.INVALID_NAME, "The upload has no file name.")
    raw = name
    name = unicodedata.normalize("NFC", name)
    problems = []
    if "\x00" in name:
        problems.append("a NUL character")
    if "/" in name or "\\" in name:
        problems.append("a path separator")
    if ":" in name:
        problems.append("a drive or stream separator ':'")
    if ".." in name:
        problems.append("'..'")
    if name.startswith("."):
        problems.append("a leading dot (hidden file)")
    if name.endswith("."):
        problems.append("a trailing dot")
    size = len(name.encode("utf-8", "surrogatepass"))
    if size > MAX_NAME_BYTES:
        problems.append(f"{size} bytes of UTF-8 (more than {MAX_NAME_BYTES} bytes)")
    if any(unicodedata.category(char) == "Cc" for char in name):
        problems.append("control characters")
    if name != name.strip(" "):
        problems.append("leading or trailing spaces")
    unsafe = [label for label in _unsafe_characters(name) if label not in ("U+0000", "U+002F", "U+005C", "U+003A")]
    if unsafe:
        problems.append("characters outside the safe set (" + ", ".join(unsafe[:5]) + ")")
    if problems:
        raise _reject(raw, problems)
    return name


def name_skeleton(name: str) -> str:
    """A form in which names that look alike are equal: NFKC, look-alikes folded, case and
    separators dropped (``Free_Zone.TXT`` and ``free-z\u043ene.txt`` have the same skeleton)."""
    folded = unicodedata.normalize("NFKC", name).translate(_CONFUSABLES).casefold().translate(_CONFUSABLES)
    return "".join(char for char in folded if char.isalnum())
