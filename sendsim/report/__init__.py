"""Board briefing reports: one self-contained HTML page from any set of runs and sweeps.

:func:`write_report` finds the runs (:mod:`.collect`), derives series and their spread
across replicates (:mod:`.series`), writes key messages (:mod:`.messages`), tables
(:mod:`.tables`) and charts (:mod:`.charts`), and renders the page (:mod:`.page`). The
whole report is built in memory before anything is written, so bad input writes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sendsim.errors import SendsimError
from sendsim.io import atomic_write, write_text

HTML_SUFFIXES = (".html", ".htm")


def write_report(
    results: Sequence[str | Path],
    out: str | Path,
    title: str | None = None,
    area: str | None = None,
) -> list[Path]:
    """Build the report of the runs under ``results`` and write it to ``out``.

    Args:
        results: run directories, sweeps, or folders holding them at any depth.
        out: the HTML file; charts (PNG) and tables (CSV) go in ``<stem>_files/`` beside it.
        title: report title (default names the area).
        area: council or ``england`` (see :func:`sendsim.report.collect.load`).

    Returns:
        The paths written, the HTML page first.

    Raises:
        SendsimError: bad input (nothing is written).
    """
    from sendsim.report.build import build
    from sendsim.report.page import render

    out = Path(out)
    if out.is_dir():
        raise SendsimError(f"--out {out}: is a directory; give a file name, e.g. report.html")
    if out.suffix.lower() not in HTML_SUFFIXES:  # never overwrite a result file with a page
        raise SendsimError(f"--out {out}: the report is an HTML page; give a name ending .html")
    folder = f"{out.stem}_files"
    report = build(results, title=title, area=area)
    files = report.files(folder)
    page = render(report, folder)
    written = []
    for relative, content in files.items():
        written.append(
            atomic_write(out.parent / relative, lambda tmp, c=content: tmp.write_bytes(c))
        )
    return [write_text(page, out), *written]
