#!/usr/bin/python3
"""Enforces Tandem's layering by scanning #include lines (Python 3 standard library only).

Rules (see /work/shared/design.md, "Layers"):
  1. nothing under parsers/ includes anything from runtime/ or tools/;
  2. nothing under runtime/ includes anything from tools/;
  3. parsers/common/ includes nothing from parsers/haproxy/ or parsers/keepalived/;
  4. model headers (parsers/**/model*.hpp and every header in parsers/common/) include no
     PEGTL, Boost or spdlog header, directly or through other headers of the repository.

Usage: check_layering.py REPO_ROOT     exit 1 and list violations if any
       check_layering.py --self-test   prove the checker catches each kind of violation
"""

import os
import re
import sys
import tempfile

INCLUDE_RE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')
SOURCE_SUFFIXES = ('.hpp', '.h', '.hh', '.cpp', '.cc', '.cxx', '.ipp', '.inl')
HEADER_SUFFIXES = ('.hpp', '.h', '.hh', '.ipp', '.inl')
LAYERS = ('parsers', 'runtime', 'tools')
FORBIDDEN_LAYERS = {
    'parsers': ('runtime/', 'tools/'),
    'runtime': ('tools/',),
}
FORBIDDEN_IN_COMMON = ('parsers/haproxy/', 'parsers/keepalived/')
HEAVY_LIBRARIES = ('tao/pegtl', 'boost/', 'spdlog/')


def includes_of(path):
    """(line number, delimiter, target) of every #include in a file."""
    result = []
    with open(path, encoding='utf-8', errors='replace') as f:
        for number, line in enumerate(f, 1):
            m = INCLUDE_RE.match(line)
            if m:
                result.append((number, m.group(1), m.group(2).strip()))
    return result


def resolve(root, including_rel, delimiter, target):
    """The repository-relative path an include names, or None for an outside header.

    Quoted includes are looked up next to the including file first (as the compiler does),
    then from the repository root (the project's include directory); any repository path
    that exists, or that starts with a layer name, counts as the repository's.
    """
    candidates = []
    if delimiter == '"':
        candidates.append(os.path.join(os.path.dirname(including_rel), target))
    candidates.append(target)
    for candidate in candidates:
        rel = os.path.normpath(candidate).replace(os.sep, '/')
        if rel.startswith('../'):
            continue
        if os.path.isfile(os.path.join(root, rel)):
            return rel
    rel = os.path.normpath(target).replace(os.sep, '/')
    if rel.split('/', 1)[0] in LAYERS:
        return rel
    return None


def is_model_header(rel):
    if not rel.endswith(HEADER_SUFFIXES):
        return False
    if rel.startswith('parsers/common/'):
        return True
    return rel.startswith('parsers/') and os.path.basename(rel).startswith('model')


def is_heavy(target):
    return any(target.startswith(prefix) for prefix in HEAVY_LIBRARIES)


def source_files(root):
    for layer in LAYERS:
        top = os.path.join(root, layer)
        for directory, dirs, files in os.walk(top):
            dirs.sort()
            for name in sorted(files):
                if name.endswith(SOURCE_SUFFIXES):
                    full = os.path.join(directory, name)
                    yield os.path.relpath(full, root).replace(os.sep, '/')


def check(root):
    """All violations in the tree at root, as 'file:line: message' strings."""
    violations = []
    graph = {}  # rel -> [(line, delimiter, target, resolved rel or None)]
    for rel in source_files(root):
        graph[rel] = [(n, d, t, resolve(root, rel, d, t))
                      for n, d, t in includes_of(os.path.join(root, rel))]

    for rel, incs in graph.items():
        layer = rel.split('/', 1)[0]
        for number, delimiter, target, resolved in incs:
            shown = f'{delimiter}{target}{">" if delimiter == "<" else chr(34)}'
            if resolved is None:
                continue
            for prefix in FORBIDDEN_LAYERS.get(layer, ()):
                if resolved.startswith(prefix):
                    violations.append(f'{rel}:{number}: {layer}/ must not include {prefix} '
                                      f'(#include {shown})')
            if rel.startswith('parsers/common/'):
                for prefix in FORBIDDEN_IN_COMMON:
                    if resolved.startswith(prefix):
                        violations.append(f'{rel}:{number}: parsers/common/ must not include '
                                          f'{prefix} (#include {shown})')

    # Model headers: no heavy library, directly or through repository headers.
    for rel in graph:
        if not is_model_header(rel):
            continue
        seen = {rel}
        stack = [(rel, [rel])]
        while stack:
            current, chain = stack.pop()
            for number, _, target, resolved in graph.get(current, []):
                if is_heavy(target):
                    via = ' via ' + ' -> '.join(chain[1:] + [current]) if len(chain) > 1 else ''
                    first_line = number if current == rel else next(
                        n for n, _, _, r in graph[rel] if r == chain[1])
                    violations.append(f'{rel}:{first_line}: model header must not include '
                                      f'<{target}>{via}')
                elif resolved in graph and resolved not in seen:
                    seen.add(resolved)
                    stack.append((resolved, chain + [resolved]))
    return sorted(set(violations))


def self_test():
    """Builds small trees with one violation each and asserts the checker reports them."""
    cases = {
        'parsers includes runtime': (
            {'parsers/haproxy/grammar.cpp': '#include "runtime/core/loop.hpp"\n',
             'runtime/core/loop.hpp': '#pragma once\n'},
            ['parsers/haproxy/grammar.cpp:1: parsers/ must not include runtime/']),
        'parsers includes tools via a relative path': (
            {'parsers/common/x.cpp': '#include "../../tools/cli.hpp"\n',
             'tools/cli.hpp': '#pragma once\n'},
            ['parsers/common/x.cpp:1: parsers/ must not include tools/']),
        'runtime includes tools': (
            {'runtime/core/a.cpp': '// comment\n#  include <tools/front_ends.hpp>\n'},
            ['runtime/core/a.cpp:2: runtime/ must not include tools/']),
        'common includes a language': (
            {'parsers/common/a.hpp': '#include "parsers/keepalived/model.hpp"\n',
             'parsers/keepalived/model.hpp': '#pragma once\n'},
            ['parsers/common/a.hpp:1: parsers/common/ must not include parsers/keepalived/']),
        'model header includes PEGTL': (
            {'parsers/haproxy/model.hpp': '#include <tao/pegtl.hpp>\n'},
            ['parsers/haproxy/model.hpp:1: model header must not include <tao/pegtl.hpp>']),
        'common header includes Boost': (
            {'parsers/common/position.hpp': '#pragma once\n#include <vector>\n'
                                            '#include <boost/asio.hpp>\n'},
            ['parsers/common/position.hpp:3: model header must not include <boost/asio.hpp>']),
        'model header includes spdlog through another header': (
            {'parsers/keepalived/model_vrrp.hpp': '#include "parsers/keepalived/log.hpp"\n',
             'parsers/keepalived/log.hpp': '#include <spdlog/spdlog.h>\n'},
            ['parsers/keepalived/model_vrrp.hpp:1: model header must not include '
             '<spdlog/spdlog.h> via parsers/keepalived/log.hpp']),
    }
    clean = {
        'parsers/common/diagnostic.hpp': '#pragma once\n#include <string>\n'
                                         '#include "parsers/common/position.hpp"\n',
        'parsers/common/position.hpp': '#pragma once\n',
        'parsers/haproxy/grammar.hpp': '#include <tao/pegtl.hpp>\n'
                                       '#include "parsers/common/diagnostic.hpp"\n',
        'runtime/core/loop.cpp': '#include <boost/asio.hpp>\n#include "parsers/common/position.hpp"\n',
        'tools/main.cpp': '#include "runtime/core/loop.hpp"\n#include "parsers/haproxy/grammar.hpp"\n',
        'parsers/haproxy/notes.txt': '#include "runtime/x.hpp"\n',
    }
    failures = []

    def build(files):
        directory = tempfile.mkdtemp(prefix='tandem-layering-')
        for rel, text in files.items():
            path = os.path.join(directory, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, 'w', encoding='utf-8') as f:
                f.write(text)
        return directory

    import shutil
    root = build(clean)
    try:
        found = check(root)
        if found:
            failures.append(f'clean tree: unexpected violations {found}')
    finally:
        shutil.rmtree(root)

    for name, (files, expected_prefixes) in cases.items():
        root = build(files)
        try:
            found = check(root)
            for prefix in expected_prefixes:
                if not any(v.startswith(prefix) for v in found):
                    failures.append(f'{name}: expected a violation starting with {prefix!r}, '
                                    f'got {found}')
            if len(found) != len(expected_prefixes):
                failures.append(f'{name}: expected {len(expected_prefixes)} violation(s), '
                                f'got {found}')
        finally:
            shutil.rmtree(root)

    # The command line reports violations with exit status 1.
    root = build(cases['parsers includes runtime'][0])
    try:
        if main([sys.argv[0], root], quiet=True) != 1:
            failures.append('main() did not exit 1 on a violating tree')
    finally:
        shutil.rmtree(root)

    for failure in failures:
        print('SELF-TEST FAILED:', failure)
    if not failures:
        print(f'layering self-test: {len(cases)} violating trees caught, clean tree passed')
    return 1 if failures else 0


def main(argv, quiet=False):
    if len(argv) == 2 and argv[1] == '--self-test':
        return self_test()
    if len(argv) != 2 or not os.path.isdir(argv[1]):
        print(__doc__, file=sys.stderr)
        return 2
    root = os.path.abspath(argv[1])
    violations = check(root)
    if not quiet:
        for v in violations:
            print(v)
        count = sum(1 for _ in source_files(root))
        print(f'layering: {count} files checked, {len(violations)} violation(s)')
    return 1 if violations else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
