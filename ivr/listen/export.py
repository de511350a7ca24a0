"""`ivr export-site DIR`: the listen-online pages and their recordings as plain static files.

The folder holds index.html, one folder per language with its index.html, listen.css, and
audio/<language>/<file>.mp3: any static host or CDN serves it as it is.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from ivr.audio.catalogue import Catalogue
from ivr.content import Content
from ivr.listen.pages import Links, listen_page, render_index, render_page, stylesheet

AUDIO = "audio"


@dataclass(frozen=True)
class Exported:
    """What an export wrote."""

    pages: int
    recordings: int
    bytes: int


def export_site(
    directory: Path, content: Content, catalogue: Catalogue, audio_dir: Path
) -> Exported:
    """Write every language's page, the way in, the stylesheet and the recordings they play."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "listen.css").write_text(stylesheet(), encoding="utf-8")
    (directory / "index.html").write_text(render_index(content, _links("")), encoding="utf-8")
    files: list[str] = []
    for code in content.languages:
        page = listen_page(content, code, catalogue)
        others = tuple(c for other, c in content.languages.items() if other != code)
        (directory / code).mkdir(exist_ok=True)
        html = render_page(page, others, _links("../"))
        (directory / code / "index.html").write_text(html, encoding="utf-8")
        files += page.files
    size = 0
    for file in files:
        # The catalogue's files match <language>/<name>.mp3 (read_manifest checks it), so they
        # stay inside both folders.
        target = directory / AUDIO / file
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(audio_dir / file, target)
        size += target.stat().st_size
    return Exported(pages=1 + len(content.languages), recordings=len(files), bytes=size)


def _links(up: str) -> Links:
    """Relative links, with index.html named, so the folder also reads from a disk."""
    return Links(
        stylesheet=f"{up}listen.css",
        page=lambda code: f"{up}{code}/index.html",
        audio=lambda file: f"{up}{AUDIO}/{file}",
    )
