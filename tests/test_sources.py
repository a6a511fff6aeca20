"""Every parameter cites a source the repository holds (``docs/sources.md``, a data file, or a
stated assumption), and every bibliography entry says who published what, when and where."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sendsim.config.params import iter_params
from sendsim.sensitivity.config import SensitivityRoot

ROOT = Path(__file__).parents[1]
SOURCES = ROOT / "docs" / "sources.md"

KEY = re.compile(r"\[([a-z0-9][a-z0-9-]*)\](?!\()")  # not a markdown link [text](url)
ENTRY = re.compile(r"^### \[([a-z0-9][a-z0-9-]*)\]\s*$", re.MULTILINE)
EXTENSIONS = r"(?:csv|parquet|md|xlsx|yaml|yml|json|py)"
PATH = re.compile(r"[A-Za-z_][\w<>*.-]*(?:/[\w<>*.-]+)+|[\w<>*-]+\." + EXTENSIONS + r"\b")
OUTSIDE = re.compile(
    r"NATIONAL_FIGURES|send-systems|code-anchors|ecosystem-anchors|DESIGN\.md|\.\./(?:\.\.|shared)"
    r"|/work/|\bshared/|\bNF\b"
)
TOP_LEVEL = {p.name for p in ROOT.iterdir()}


def entries() -> dict[str, str]:
    """Key → text of each ``### [key]`` entry of docs/sources.md."""
    text = SOURCES.read_text()
    found = list(ENTRY.finditer(text))
    out = {}
    for i, m in enumerate(found):
        end = found[i + 1].start() if i + 1 < len(found) else len(text)
        body = text[m.end() : end]
        body = body.split("\n## ")[0]  # stop at the next section heading
        assert m.group(1) not in out, f"duplicate entry [{m.group(1)}]"
        out[m.group(1)] = body
    return out


def cited_paths(text: str) -> list[str]:
    """Repository paths named in a text: ``dir/.../name`` from a top-level entry, or ``x.csv``."""
    paths = []
    for m in PATH.finditer(text):
        token = m.group(0).rstrip(".")
        first = token.split("/")[0]
        if "/" in token and first not in TOP_LEVEL:
            continue  # "and/or", "2021/22"-like text, not a path
        paths.append(token)
    return paths


def exists(path: str) -> bool:
    """Whether a repository path exists; ``<placeholder>`` parts match any name."""
    pattern = re.sub(r"<[^>]*>", "*", path)
    return any(ROOT.glob(pattern)) if "*" in pattern else (ROOT / pattern).exists()


def problems(source: str, keys: set[str]) -> list[str]:
    """What is wrong with one ``source`` string (empty when it is fine)."""
    out = []
    if OUTSIDE.search(source) or "../" in source:
        out.append("mentions a file outside the repository")
    cited = KEY.findall(source)
    out += [f"cites [{k}], missing from docs/sources.md" for k in cited if k not in keys]
    paths = cited_paths(source)
    out += [f"names {p}, not in the repository" for p in paths if not exists(p)]
    if "docs/sources.md" in source and not cited:
        out.append("cites docs/sources.md without an entry key")
    if not (cited or paths or source.startswith(("Assumption", "Setting"))):
        out.append("cites no entry key, data file or assumption")
    return out


DECLARED = list(iter_params(SensitivityRoot))  # SendsimConfig and the sensitivity keys


def test_every_source_is_inside_the_repository() -> None:
    keys = set(entries())
    bad = {p.path: problems(p.meta.source, keys) for p in DECLARED}
    bad = {path: why for path, why in bad.items() if why}
    assert not bad, "\n".join(f"{path}: {'; '.join(why)}" for path, why in bad.items())


def test_declarations_cover_the_model_and_the_sensitivity_keys() -> None:
    paths = {p.path for p in DECLARED}
    assert "policy.funding.notional_threshold_gbp" in paths
    assert "sensitivity.method" in paths


@pytest.mark.parametrize(
    ("source", "why"),
    [
        ("NATIONAL_FIGURES.md Costs: £10,000 per place", "outside"),
        ("[no-such-source]: £10,000 per place", "missing from docs/sources.md"),
        ("Assumption; each council's 2022 rate (requests.csv)", "not in the repository"),
        ("sendsim/data/raw/dfe-ehcp/nothing.csv (2022)", "not in the repository"),
        ("docs/sources.md Costs: £6,000", "without an entry key"),
        ("SEN2 2022: 2,477 supported interns", "no entry key"),
    ],
)
def test_bad_sources_are_caught(source: str, why: str) -> None:
    found = problems(source, set(entries()))
    assert any(why in p for p in found), found


@pytest.mark.parametrize(
    "source",
    [
        "[dfe-ehcp]: 5,097 mediations in 2021 (sendsim/data/raw/dfe-ehcp/sen2_mi_2014_2021.csv)",
        "sendsim/data/calibration/fit_<year>.parquet (sendsim calibrate)",
        "Assumption: ~96% (2021/22) and/or more",
        "Setting",
        "conf/scenario",
    ],
)
def test_good_sources_pass(source: str) -> None:
    assert problems(source, set(entries())) == []


def test_every_entry_has_publisher_date_and_link() -> None:
    found = entries()
    assert len(found) >= 10
    for key, body in found.items():
        publisher = re.search(r"^- Publisher: *(\S.*)$", body, re.MULTILINE)
        date = re.search(r"^- Date: *(.*)$", body, re.MULTILINE)
        link = re.search(r"^- Link: *(.*)$", body, re.MULTILINE)
        assert publisher, f"[{key}] has no publisher"
        assert date and re.search(r"\b(19|20)\d\d\b", date.group(1)), f"[{key}] has no date"
        assert link and "https://" in body[link.start() :], f"[{key}] has no link"
        assert re.search(r"^- (Used for|Title):", body, re.MULTILINE), f"[{key}] says no use"


def test_every_entry_cites_known_keys_and_existing_files() -> None:
    text = SOURCES.read_text()
    keys = set(entries())
    assert set(KEY.findall(text)) <= keys
    for path in re.findall(r"`([^`\s]+/[^`\s]*)`", text):
        if path.split("/")[0] in TOP_LEVEL:
            assert exists(path), path
    raw = ROOT / "sendsim" / "data" / "raw"
    assert (raw / "README.md").exists()
    for name in re.findall(r"`([\w-]+\.(?:csv|xlsx))`", text):
        assert any(raw.rglob(name)), name


def test_docs_cite_no_file_outside_the_repository() -> None:
    files = [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]
    files += [*(ROOT / "conf").rglob("*.yaml"), *(ROOT / "experiments").rglob("*.yaml")]
    files += [*(ROOT / "experiments").rglob("*.md")]
    bad = [str(f.relative_to(ROOT)) for f in files if OUTSIDE.search(f.read_text())]
    assert not bad, bad
    keys = set(entries())
    levers = (ROOT / "docs" / "levers.md").read_text()
    assert set(KEY.findall(levers)) <= keys
