"""Resume files: checking what was uploaded, getting its text out, and finding its sections, skills, projects and
experience; cutting it into chunks for the user's FAISS index.

Hostile input is expected: the type is decided by the file's bytes (magic numbers), never by its name; a DOCX is a
zip whose declared uncompressed sizes are summed before anything is inflated (zip bombs), and Python's zipfile
stops at the declared size, so the declared total bounds the memory used; PDFs are read page by page up to a cap,
and any parser error becomes a `ResumeError` whose message can be shown to the user as is.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from typing import Any

from rag.skills import skills_find

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_DOCX_UNCOMPRESSED = 30 * 1024 * 1024
MAX_DOCX_ENTRIES = 1000
MAX_DOCX_RATIO = 100  # a real DOCX compresses XML ~5-20x; bombs reach 1000x
MAX_PDF_PAGES = 40
MAX_TEXT_CHARS = 60_000
MIN_TEXT_CHARS = 80
CHUNK_WORDS = 90

EXTENSIONS = {"pdf": "pdf", "docx": "docx", "txt": "txt", "text": "txt", "md": "txt"}


class ResumeError(Exception):
    """The file cannot be used; the message says why in words fit for the user."""


def detect_type(data: bytes) -> str | None:
    """The file type by content: 'pdf', 'docx', 'txt', or None for anything else."""
    head = data[:1024]
    if b"%PDF-" in head:
        return "pdf"
    if data[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
        except zipfile.BadZipFile:
            return None
        return "docx" if "word/document.xml" in names else None
    if _looks_like_text(data):
        return "txt"
    return None


def _looks_like_text(data: bytes) -> bool:
    if b"\x00" in data[:8192]:
        return False
    try:
        sample = data[:8192].decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the sample's end is still text.
        if exc.start < len(data[:8192]) - 4:
            return False
        sample = data[:exc.start].decode("utf-8")
    control = sum(1 for c in sample if ord(c) < 32 and c not in "\n\r\t\f")
    return control <= max(2, len(sample) // 200)


def upload_check(*, name: str, data: bytes) -> str:
    """Validate an upload; returns its type ('pdf' | 'docx' | 'txt') or raises ResumeError."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise ResumeError(f"The file is {len(data) / 1e6:.1f} MB; the limit is {MAX_UPLOAD_BYTES // (1024 * 1024)} MB.")
    if not data:
        raise ResumeError("The file is empty.")
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    claimed = EXTENSIONS.get(extension)
    if claimed is None:
        raise ResumeError("Upload a PDF, DOCX or TXT file.")
    actual = detect_type(data)
    if actual != claimed:
        what = {"pdf": "a PDF", "docx": "a Word document", "txt": "plain text"}.get(actual or "", "an unknown type")
        raise ResumeError(f"The file is named .{extension} but its content is {what}. "
                          "Upload a real PDF, DOCX or TXT file.")
    return actual


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise ResumeError("This PDF is password-protected; upload an unprotected copy.")
        pages = []
        for page in reader.pages[:MAX_PDF_PAGES]:
            pages.append(page.extract_text() or "")
            if sum(map(len, pages)) > MAX_TEXT_CHARS:
                break
    except ResumeError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError,
            RecursionError, ZeroDivisionError, NotImplementedError) as exc:
        raise ResumeError(f"This PDF could not be read ({type(exc).__name__}); it may be damaged. "
                          "Export it again or upload a DOCX or TXT file.") from exc
    return "\n".join(pages)


def _docx_check_zip(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except zipfile.BadZipFile as exc:
        raise ResumeError("This Word document is damaged (not a valid archive).") from exc
    if len(infos) > MAX_DOCX_ENTRIES:
        raise ResumeError("This Word document has too many parts to be a resume.")
    total = sum(info.file_size for info in infos)
    packed = max(1, sum(info.compress_size for info in infos))
    if total > MAX_DOCX_UNCOMPRESSED or total / packed > MAX_DOCX_RATIO:
        raise ResumeError("This Word document expands to an unreasonable size and was rejected.")


def _docx_text(data: bytes) -> str:
    _docx_check_zip(data)
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
        lines = [p.text for p in document.paragraphs]
        for table in document.tables:
            for row in table.rows:
                lines.append(" | ".join(dict.fromkeys(cell.text.strip() for cell in row.cells if cell.text.strip())))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile, OSError) as exc:
        raise ResumeError(f"This Word document could not be read ({type(exc).__name__}).") from exc
    except Exception as exc:  # noqa: BLE001 - lxml raises its own hierarchy on malformed XML
        raise ResumeError(f"This Word document could not be read ({type(exc).__name__}).") from exc
    return "\n".join(lines)


def _txt_text(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ResumeError("This text file is not in a readable encoding (use UTF-8).")


def text_extract(*, data: bytes, file_type: str) -> str:
    """The resume's text, whitespace-normalised per line; ResumeError when it holds (almost) no text."""
    extract = {"pdf": _pdf_text, "docx": _docx_text, "txt": _txt_text}.get(file_type)
    if extract is None:
        raise ResumeError(f"Unsupported file type {file_type!r}.")
    raw = extract(data)[:MAX_TEXT_CHARS]
    lines = [" ".join(line.split()) for line in raw.replace("\r", "\n").split("\n")]
    text = "\n".join(line for line in lines if line)
    if len(text) < MIN_TEXT_CHARS:
        raise ResumeError("No readable text was found in this file (a scanned image?). "
                          "Upload a file with selectable text.")
    return text


# --- structure -------------------------------------------------------------------------------------------

SECTION_NAMES = {
    "summary": ("summary", "profile", "about me", "objective", "professional summary"),
    "experience": ("experience", "work experience", "professional experience", "employment", "work history",
                   "employment history"),
    "projects": ("projects", "personal projects", "selected projects", "key projects", "side projects"),
    "skills": ("skills", "technical skills", "core skills", "technologies", "tech stack", "competencies"),
    "education": ("education", "academic background", "qualifications"),
    "certifications": ("certifications", "certificates", "licenses"),
    "awards": ("awards", "achievements", "honors", "honours"),
    "publications": ("publications",),
    "languages": ("languages",),
    "interests": ("interests", "hobbies"),
}
_HEADING_LOOKUP = {alias: name for name, aliases in SECTION_NAMES.items() for alias in aliases}
_YEAR_RE = re.compile(r"\b(19[89]\d|20[0-4]\d)\b")
_RANGE_RE = re.compile(r"\b(19[89]\d|20[0-4]\d)\s*(?:-|–|—|to)\s*(19[89]\d|20[0-4]\d|present|current|now)\b",
                       re.IGNORECASE)
_BULLET_RE = re.compile(r"^\s*(?:[-*•▪◦●]|\d+[.)])\s+")
ACTION_VERBS = ("built", "developed", "designed", "implemented", "created", "led", "launched", "migrated",
                "automated", "architected", "wrote", "shipped", "optimized", "optimised", "reduced", "improved")


def _heading(line: str) -> str | None:
    cleaned = line.strip().strip(":").strip().lower()
    if len(cleaned) > 40:
        return None
    return _HEADING_LOOKUP.get(cleaned)


@dataclass
class _Entry:
    heading: str
    lines: list[str]

    def as_text(self) -> str:
        return " ".join([self.heading, *self.lines]).strip()


def sections_split(text: str) -> dict[str, str]:
    """Section name -> its text. Lines before the first heading go to 'header'."""
    sections: dict[str, list[str]] = {"header": []}
    current = "header"
    for line in text.split("\n"):
        name = _heading(line)
        if name:
            current = name
            sections.setdefault(current, [])
            continue
        sections[current].append(line)
    return {name: "\n".join(lines).strip() for name, lines in sections.items() if "\n".join(lines).strip()}


def _entries(section_text: str) -> list[_Entry]:
    """Entries of a section: a non-bullet line starts one, bullet lines (and wrapped lines) belong to it."""
    entries: list[_Entry] = []
    for line in section_text.split("\n"):
        if not line.strip():
            continue
        if _BULLET_RE.match(line) and entries:
            entries[-1].lines.append(_BULLET_RE.sub("", line))
        elif _BULLET_RE.match(line):
            entries.append(_Entry(heading=_BULLET_RE.sub("", line), lines=[]))
        elif entries and not entries[-1].lines and len(line.split()) > 12:
            entries[-1].lines.append(line)  # a description paragraph under its title
        else:
            entries.append(_Entry(heading=line, lines=[]))
    return entries


def _project_name(heading: str) -> str:
    name = re.split(r"\s[-–—|:]\s|:\s|\(", heading, maxsplit=1)[0].strip()
    return name[:80] or heading[:80]


def _years_of_experience(experience_text: str, *, this_year: int) -> float | None:
    spans = []
    for start, end in _RANGE_RE.findall(experience_text):
        stop = this_year if not end.isdigit() else int(end)
        if int(start) <= stop:
            spans.append((int(start), stop))
    if not spans:
        return None
    # Merge overlapping spans so two jobs held at once are not counted twice.
    spans.sort()
    total, (cur_start, cur_end) = 0, spans[0]
    for start, end in spans[1:]:
        if start <= cur_end:
            cur_end = max(cur_end, end)
        else:
            total += cur_end - cur_start
            cur_start, cur_end = start, end
    total += cur_end - cur_start
    return float(max(total, 0))


def resume_parse(text: str, *, this_year: int | None = None) -> dict[str, Any]:
    """Sections, skills, projects and experience found in a resume's text (all heuristics, all offline)."""
    import datetime

    this_year = this_year or datetime.date.today().year
    sections = sections_split(text)
    skills = skills_find(text)
    projects = []
    for entry in _entries(sections.get("projects", "")):
        body = " ".join(entry.lines)
        projects.append({"name": _project_name(entry.heading), "description": (entry.heading + " " + body).strip(),
                         "skills": skills_find(entry.heading + " " + body)})
    experience = []
    for entry in _entries(sections.get("experience", "")):
        if not entry.lines and not _YEAR_RE.search(entry.heading) and experience:
            experience[-1]["details"].append(entry.heading)  # a wrapped line of the previous role
            continue
        experience.append({"role": entry.heading, "details": entry.lines,
                           "years": _YEAR_RE.findall(entry.heading)})
    if not projects:
        # No projects section: achievements under the roles ("Built ...", "Led ...") are the projects to ask about.
        for role in experience:
            for detail in role["details"]:
                if detail.lower().startswith(ACTION_VERBS) and len(detail.split()) >= 6:
                    projects.append({"name": _project_name(detail), "description": detail,
                                     "skills": skills_find(detail)})
        projects = projects[:8]
    return {
        "sections": sorted(sections),
        "skills": skills,
        "projects": projects[:12],
        "experience": experience[:20],
        "years_experience": _years_of_experience(sections.get("experience", ""), this_year=this_year),
        "education": sections.get("education", "")[:600],
        "summary": sections.get("summary", "")[:800],
    }


def resume_chunks(text: str, *, words: int = CHUNK_WORDS) -> list[str]:
    """Chunks of at most ~`words` words that never cross a section, each prefixed by its section's name so a
    retrieved chunk says where it came from."""
    chunks: list[str] = []
    for name, body in sections_split(text).items():
        label = "Contact" if name == "header" else name.capitalize()
        buffer: list[str] = []
        for entry in _entries(body):
            tokens = entry.as_text().split()
            if buffer and len(buffer) + len(tokens) > words:
                chunks.append(f"{label}: {' '.join(buffer)}")
                buffer = []
            while len(tokens) > words:  # one very long entry: cut it
                chunks.append(f"{label}: {' '.join(tokens[:words])}")
                tokens = tokens[words:]
            buffer.extend(tokens)
        if buffer:
            chunks.append(f"{label}: {' '.join(buffer)}")
    return chunks
