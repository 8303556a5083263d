#!/usr/bin/python3
"""docs/keywords/*.md are what `tandem keywords LANGUAGE` prints: fails, with the command that
regenerates them, when a keyword table changed and the docs did not.

Usage: check_keyword_docs.py BIN_DIR REPO_ROOT
"""

import os
import subprocess
import sys


def main():
    bin_dir, repo = sys.argv[1], sys.argv[2]
    stale = []
    for language in ("haproxy", "keepalived"):
        doc = os.path.join(repo, "docs", "keywords", f"{language}.md")
        generated = subprocess.run([os.path.join(bin_dir, "tandem"), "keywords", language],
                                   capture_output=True, text=True, check=True).stdout
        if "| `" not in generated:
            stale.append(f"tandem keywords {language} printed no keyword rows")
            continue
        with open(doc, encoding="utf-8") as f:
            if f.read() != generated:
                stale.append(f"{doc} is stale: run build/bin/tandem keywords {language} > "
                             f"docs/keywords/{language}.md")
    for line in stale:
        print(line, file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
