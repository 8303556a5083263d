"""The blog-post configs in examples/blog-configs are byte-for-byte what the posts print.

examples/blog-configs/MANIFEST.toml names, for every verbatim file, the seed (a plain
text dump of the blog post) and the line range it comes from. This test rebuilds each
file from its seed and compares bytes, and checks the folder layout: every config file
is in the manifest, every post folder has a README.md and a lab.toml, every
reconstruction named in the manifest exists (and every *.reconstructed.* file is named).

Seeds: <repo>/../shared/seeds, where <repo> is the parent of compat-tests; set
TANDEM_SHARED to use another directory in place of <repo>/../shared.
Run: /usr/bin/python3 -m pytest -q compat-tests/test_blog_configs.py
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples" / "blog-configs"
MANIFEST = EXAMPLES / "MANIFEST.toml"
SHARED = Path(os.environ.get("TANDEM_SHARED", REPO.parent / "shared"))
SEEDS = SHARED / "seeds"

FOLDER_RE = re.compile(r"^\d{3}-[a-z0-9]+(?:-[a-z0-9]+)*$")
NOT_CONFIG = {"README.md", "MANIFEST.toml", "lab.toml"}
REQUIRED_KEYS = {"file", "seed", "first_line", "last_line", "strip", "kind", "machines"}


def load_manifest() -> list[dict]:
    with MANIFEST.open("rb") as f:
        data = tomllib.load(f)
    entries = data.get("file", [])
    assert entries, f"{MANIFEST}: no [[file]] entries"
    return entries


ENTRIES = load_manifest()


def reconstructions(entry: dict) -> list[str]:
    r = entry.get("reconstruction", [])
    return [r] if isinstance(r, str) else list(r)


def expected_bytes(entry: dict) -> bytes:
    """Lines first_line..last_line of the seed, each with `strip` leading spaces removed
    and followed by a newline."""
    seed = SEEDS / entry["seed"]
    if not seed.is_file():
        pytest.fail(f"seed {seed} not found (set TANDEM_SHARED to the directory holding seeds/)")
    lines = seed.read_bytes().split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()          # a trailing newline does not start another line
    first, last, strip = entry["first_line"], entry["last_line"], entry["strip"]
    if not (1 <= first <= last <= len(lines)):
        pytest.fail(f"{entry['file']}: lines {first}..{last} outside {seed.name} (1..{len(lines)})")
    out = []
    for n in range(first, last + 1):
        line = lines[n - 1]
        head = line[:strip]
        if head.strip(b" ") != b"":
            pytest.fail(f"{entry['file']}: {seed.name}:{n}: the first {strip} characters are not "
                        f"all spaces, so strip={strip} would cut text: {line[:60]!r}")
        out.append(line[strip:] + b"\n")
    return b"".join(out)


def first_difference(want: bytes, got: bytes) -> str:
    wl = want.split(b"\n")
    gl = got.split(b"\n")
    for i in range(max(len(wl), len(gl))):
        w = wl[i] if i < len(wl) else None
        g = gl[i] if i < len(gl) else None
        if w != g:
            col = ""
            if w is not None and g is not None:
                c = next((k for k in range(min(len(w), len(g))) if w[k] != g[k]), min(len(w), len(g)))
                col = f", column {c + 1}"
            return (f"first difference at line {i + 1}{col}:\n"
                    f"--- expected (from seed)\n+++ file\n"
                    f"-{w!r}\n+{g!r}")
    return "contents equal line by line but differ in bytes"


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["file"] for e in ENTRIES])
def test_verbatim_file_matches_seed(entry: dict) -> None:
    missing = REQUIRED_KEYS - set(entry)
    assert not missing, f"manifest entry {entry.get('file')!r} lacks {sorted(missing)}"
    assert entry["kind"] in ("haproxy", "keepalived"), f"{entry['file']}: kind {entry['kind']!r}"
    path = EXAMPLES / entry["file"]
    assert path.is_file(), f"{path} is listed in the manifest but does not exist"
    want = expected_bytes(entry)
    got = path.read_bytes()
    if got != want:
        pytest.fail(f"{entry['file']} is not byte-identical to {entry['seed']} lines "
                    f"{entry['first_line']}..{entry['last_line']} (strip {entry['strip']}); "
                    f"{len(got)} bytes vs {len(want)} expected\n"
                    + first_difference(want, got), pytrace=False)


def test_manifest_files_are_unique() -> None:
    files = [e["file"] for e in ENTRIES]
    dups = sorted({f for f in files if files.count(f) > 1})
    assert not dups, f"listed more than once in MANIFEST.toml: {dups}"


def _is_config(rel: Path) -> bool:
    return rel.name not in NOT_CONFIG and ".reconstructed." not in rel.name


def test_every_config_is_in_manifest() -> None:
    listed = {e["file"] for e in ENTRIES}
    present = {p.relative_to(EXAMPLES).as_posix() for p in EXAMPLES.rglob("*") if p.is_file()}
    configs = {f for f in present if _is_config(Path(f)) and f != "MANIFEST.toml"}
    unlisted = sorted(configs - listed)
    assert not unlisted, f"config files not in MANIFEST.toml (add them): {unlisted}"


def test_post_folders_have_readme_and_lab() -> None:
    folders = sorted(p for p in EXAMPLES.iterdir() if p.is_dir())
    assert folders, f"no post folders in {EXAMPLES}"
    problems = []
    for d in folders:
        if not FOLDER_RE.match(d.name):
            problems.append(f"{d.name}: folder name is not NNN-short-slug")
        for need in ("README.md", "lab.toml"):
            if not (d / need).is_file():
                problems.append(f"{d.name}: missing {need}")
        if (d / "lab.toml").is_file():
            try:
                tomllib.loads((d / "lab.toml").read_text(encoding="utf-8"))
            except tomllib.TOMLDecodeError as e:
                problems.append(f"{d.name}/lab.toml: {e}")
    manifest_folders = {e["file"].split("/")[0] for e in ENTRIES}
    for f in sorted(manifest_folders - {d.name for d in folders}):
        problems.append(f"manifest names folder {f} which does not exist")
    assert not problems, "\n".join(problems)


def test_reconstructions_exist_and_are_listed() -> None:
    problems = []
    named = set()
    for e in ENTRIES:
        recs = reconstructions(e)
        if recs and not e.get("why"):
            problems.append(f"{e['file']}: has a reconstruction but no 'why'")
        for r in recs:
            named.add(r)
            if ".reconstructed." not in Path(r).name:
                problems.append(f"{e['file']}: reconstruction {r} is not named *.reconstructed.*")
            if not (EXAMPLES / r).is_file():
                problems.append(f"{e['file']}: reconstruction {r} does not exist")
            if Path(r).parent != Path(e["file"]).parent:
                problems.append(f"{e['file']}: reconstruction {r} is not beside the verbatim file")
    for p in EXAMPLES.rglob("*.reconstructed.*"):
        rel = p.relative_to(EXAMPLES).as_posix()
        if rel not in named:
            problems.append(f"{rel} exists but no manifest entry names it as a reconstruction")
    assert not problems, "\n".join(problems)


def test_lab_sources_exist() -> None:
    """Every `source` a lab.toml names exists (the lab engine reads these files)."""
    problems = []
    for lab in sorted(EXAMPLES.glob("*/lab.toml")):
        data = tomllib.loads(lab.read_text(encoding="utf-8"))
        for m in data.get("machines", []):
            for f in m.get("files", []):
                if "source" in f and not (lab.parent / f["source"]).is_file():
                    problems.append(f"{lab.parent.name}/lab.toml: machine {m.get('name')}: "
                                    f"source {f['source']} does not exist")
    assert not problems, "\n".join(problems)
