#!/usr/bin/python3
"""Runs the built tandem executable and its haproxy/keepalived links as processes.

Covers what only a real process shows: the links, exit statuses, stdout vs stderr, the
process name while a FIFO configuration blocks the loader (what `killall -0 haproxy` sees),
and the not-implemented messages. Usage: test_executable.py BIN_DIR  (standard library only)
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

BIN = None  # set from argv in __main__
VERSION_RE = r'Tandem \d+\.\d+\.\d+'


def run(argv0, *args, cwd=None):
    """Runs BIN/argv0 with args; returns (status, stdout, stderr)."""
    p = subprocess.run([os.path.join(BIN, argv0), *args], capture_output=True, text=True,
                       timeout=20, cwd=cwd, stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout, p.stderr


class temp_dir_case(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix='tandem-exe-')
        self.addCleanup(shutil.rmtree, self.dir, True)

    def write(self, name, text='global\n'):
        path = os.path.join(self.dir, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w', encoding='utf-8') as f:
            f.write(text)
        return path


class links(unittest.TestCase):
    def test_links_are_relative_and_point_to_tandem(self):
        for name in ('haproxy', 'keepalived'):
            path = os.path.join(BIN, name)
            self.assertTrue(os.path.islink(path), path)
            self.assertEqual(os.readlink(path), 'tandem')


class version_and_help(unittest.TestCase):
    def test_tandem_version(self):
        status, out, err = run('tandem', '--version')
        self.assertEqual(status, 0)
        self.assertRegex(out.splitlines()[0], '^' + VERSION_RE + '$')
        self.assertIn('command line of HAProxy 2.6', out)
        self.assertIn('command line of keepalived 2.2.7', out)
        self.assertEqual(err, '')

    def test_tandem_help(self):
        for flag in ('--help', '-h'):
            status, out, err = run('tandem', flag)
            self.assertEqual(status, 0)
            self.assertTrue(out.startswith('Usage: tandem COMMAND [ARGS...]\n'), out)
            self.assertEqual(err, '')

    def test_tandem_without_command_is_a_usage_error(self):
        status, out, err = run('tandem')
        self.assertEqual(status, 1)
        self.assertEqual(out, '')
        self.assertIn('Usage: tandem COMMAND', err)

    def test_unknown_command(self):
        status, _, err = run('tandem', 'frobnicate')
        self.assertEqual(status, 1)
        self.assertIn("unknown command 'frobnicate'", err)

    def test_haproxy_version_on_stdout_both_ways(self):
        for argv in (('haproxy', '-v'), ('tandem', 'haproxy', '-v')):
            status, out, err = run(*argv)
            self.assertEqual(status, 0, argv)
            self.assertRegex(out.splitlines()[0], '^' + VERSION_RE + r' \(haproxy front-end; '
                             r'targets the configuration language of HAProxy 1\.4 to 3\.x\)$')
            self.assertNotIn('Build options', out)
            self.assertEqual(err, '')

    def test_haproxy_vv_adds_build_options(self):
        status, out, _ = run('haproxy', '-vv')
        self.assertEqual(status, 0)
        self.assertIn('Build options :', out)
        self.assertIn('STANDARD   = C++20', out)

    def test_haproxy_help(self):
        status, out, _ = run('haproxy', '-h')
        self.assertEqual(status, 0)
        self.assertIn('Usage : haproxy [-f <cfgfile|cfgdir>]*', out)
        status, out, _ = run('tandem', 'haproxy', '-h')
        self.assertIn('Usage : tandem haproxy [-f <cfgfile|cfgdir>]*', out)

    def test_keepalived_version_and_help_on_stderr_like_keepalived(self):
        status, out, err = run('keepalived', '-v')
        self.assertEqual((status, out), (0, ''))
        self.assertRegex(err.splitlines()[0], '^' + VERSION_RE + r' \(keepalived front-end; '
                         r'targets the configuration language of keepalived 1\.x to 2\.x\)$')
        status, out, err = run('tandem', 'keepalived', '--help')
        self.assertEqual((status, out), (0, ''))
        self.assertTrue(err.startswith('Usage: tandem keepalived [OPTION...]\n'), err)

    def test_keepalived_signum_matches_real_keepalived(self):
        real = shutil.which('keepalived', path='/usr/sbin:/usr/bin:/sbin:/bin')
        for function in ('STOP', 'RELOAD', 'DATA', 'STATS', 'STATS_CLEAR', 'JSON'):
            status, out, _ = run('keepalived', '--signum=' + function)
            self.assertEqual(status, 0)
            if real:
                expected = subprocess.run([real, '--signum=' + function], capture_output=True,
                                          text=True, timeout=10).stdout
                self.assertEqual(out, expected, function)
        status, _, err = run('keepalived', '--signum=FOO')
        self.assertEqual(status, 1)
        self.assertIn('Unknown sigfunc FOO', err)


class usage_errors(unittest.TestCase):
    def test_haproxy_bad_flag_and_missing_argument(self):
        for argv, needle in ((('haproxy', '-z'), "'-z'"), (('haproxy', '-f'), "'-f'"),
                             (('tandem', 'haproxy', '-c', '-p'), "'-p'"),
                             (('haproxy', '-sf', 'abc'), '-sf option')):
            status, out, err = run(*argv)
            self.assertEqual(status, 1, argv)
            self.assertIn(needle, err, argv)
            self.assertEqual(out, '')

    def test_haproxy_without_configuration(self):
        status, _, err = run('haproxy', '-c')
        self.assertEqual(status, 1)
        self.assertIn('no configuration file given', err)

    def test_keepalived_bad_flag_and_missing_argument(self):
        for argv, needle in ((('keepalived', '-z'), 'Unknown option -z'),
                             (('keepalived', '-f'), 'Missing parameter for option -f'),
                             (('tandem', 'keepalived', '--use-file'),
                              'Missing parameter for option --use-file')):
            status, _, err = run(*argv)
            self.assertEqual(status, 1, argv)
            self.assertIn(needle, err, argv)

    def test_check_and_migrate_usage(self):
        self.assertEqual(run('tandem', 'check')[0], 1)
        self.assertEqual(run('tandem', 'migrate', 'a', 'b')[0], 1)
        self.assertEqual(run('tandem', 'check', '--format', 'xml', 'a')[0], 1)


class loading(temp_dir_case):
    def test_missing_file_is_reported_with_its_path(self):
        missing = os.path.join(self.dir, 'missing.cfg')
        for argv in (('haproxy', '-c', '-f', missing), ('tandem', 'haproxy', '-f', missing),
                     ('keepalived', '-t', '-f', missing), ('tandem', 'check', missing),
                     ('tandem', 'migrate', missing)):
            status, _, err = run(*argv)
            # keepalived -t: 4, "the configuration cannot be run".
            self.assertEqual(status, 4 if argv[0] == 'keepalived' else 1, argv)
            self.assertIn(f"error: cannot open '{missing}': No such file or directory "
                          '[file-not-found]', err, argv)

    def test_keepalived_default_configuration_path(self):
        status, _, err = run('keepalived', '-t')
        if os.path.exists('/etc/keepalived/keepalived.conf'):
            self.assertIn(status, (0, 5, 6))
        else:
            self.assertEqual(status, 4)
            self.assertIn("cannot open '/etc/keepalived/keepalived.conf'", err)

    def test_check_json_output(self):
        missing = os.path.join(self.dir, 'we"ird.cfg')
        status, out, _ = run('tandem', 'check', '--format', 'json', missing)
        self.assertEqual(status, 1)
        report = json.loads(out)
        self.assertEqual(len(report), 1)
        self.assertEqual(report[0]['code'], 'file-not-found')
        self.assertEqual(report[0]['severity'], 'error')
        self.assertIn(missing, report[0]['message'])
        self.assertIsNone(report[0]['file'])

    def test_haproxy_directory_and_trailing_files(self):
        # -f DIR reads DIR's *.cfg files in name order (no hidden files, no directories), then
        # the files after "--": each file's unknown keyword is reported in that order.
        conf_d = os.path.join(self.dir, 'conf.d')
        self.write('conf.d/b.cfg', 'bogus-b\n')
        self.write('conf.d/a.cfg', 'bogus-a\n')
        self.write('conf.d/.hidden.cfg', 'bogus-hidden\n')
        self.write('conf.d/notes.txt', 'bogus-notes\n')
        os.makedirs(os.path.join(conf_d, 'sub.cfg'))
        last = self.write('last.cfg', 'bogus-last\n')
        status, out, err = run('haproxy', '-c', '-f', conf_d, '--', last)
        self.assertEqual(status, 1, err)
        self.assertEqual(out, '')
        named = re.findall(r'parsing \[([^:\]]+):1\]', err)
        self.assertEqual(named, [f'{conf_d}/a.cfg', f'{conf_d}/b.cfg', last], err)
        self.assertNotIn('hidden', err)
        self.assertNotIn('notes', err)

    def test_haproxy_change_dir_before_loading(self):
        self.write('rel.cfg', 'frontend f\n  bind 127.0.0.1:8080\n  timeout client 1s\n')
        status, out, err = run('haproxy', '-C', self.dir, '-c', '-f', 'rel.cfg')
        self.assertEqual((status, out, err), (0, 'Configuration file is valid\n', ''))

    def test_haproxy_check_condition(self):
        self.assertEqual(run('haproxy', '-cc', 'version_atleast(2.4)')[0], 0)
        self.assertEqual(run('haproxy', '-cc', 'version_before(2.4)')[0], 1)
        status, _, err = run('tandem', 'haproxy', '-cc', 'foo(')
        self.assertEqual(status, 2)
        self.assertIn(' : config : Failed to evaluate condition: ', err)

    def test_haproxy_check_output_and_exit_codes(self):
        bad = self.write('bad.cfg', 'defaults\n  timeout client 1s\n  timeout connect 1s\n'
                         '  timeout server 1s\nfrontend f\n  bind 127.0.0.1:8080\n  bogus 1\n'
                         '  default_backend b\nbackend b\n  option tcplog\n'
                         '  server s 127.0.0.1:80\n')
        status, out, err = run('haproxy', '-c', '-f', bad)
        self.assertEqual((status, out), (1, ''))
        self.assertRegex(err, r"\[ALERT\]    \(\d+\) : config : parsing \[" + re.escape(bad) +
                         r":7\] : unknown keyword 'bogus' in 'frontend' section")
        self.assertRegex(err, r"\[WARNING\]  \(\d+\) : config : parsing \[" + re.escape(bad) +
                         r":10\] : backend 'b' : 'option tcplog' directive is ignored in backends")
        self.assertIn(' : config : Fatal errors found in configuration.\n', err)
        warn = self.write('warn.cfg', 'frontend f\n  bind 127.0.0.1:8080\n  timeout client 1s\n'
                          '  contimeout 5000\n')
        status, out, err = run('haproxy', '-c', '-f', warn)
        self.assertEqual((status, out), (0, 'Warnings were found.\nConfiguration file is valid\n'))
        self.assertIn("'timeout connect 5000'", err)
        self.assertEqual(run('haproxy', '-c', '-q', '-f', warn), (0, '', ''))
        status, _, err = run('haproxy', '-c', '-dW', '-f', warn)
        self.assertEqual(status, 1)
        self.assertIn("Some warnings were found and 'zero-warning' is set. Aborting.", err)
        idle = self.write('idle.cfg', 'backend b\n  server s 127.0.0.1:80\n')
        status, out, _ = run('haproxy', '-c', '-f', idle)
        self.assertEqual(status, 2)
        self.assertIn('will not start (no listener) => exit(2)', out)

    def test_check_haproxy_file(self):
        conf = self.write('h.cfg', 'global\n  maxcon 10\nlisten web 127.0.0.1:80\n'
                          '  timeout client 1s\n')
        status, out, err = run('tandem', 'check', conf)
        self.assertEqual((status, out), (1, ''))
        self.assertIn(f"{conf}:2:3: error: unknown keyword 'maxcon' in 'global' section "
                      '[hap-unknown-keyword]', err)
        self.assertIn("hint: did you mean 'maxconn'?", err)
        self.assertIn(f"{conf}:3:12: warning: an address on the 'listen' line", err)

    def test_migrate_haproxy_file(self):
        conf = self.write('m.cfg', 'defaults\n  contimeout 5000 # old\nlisten web *:80\n'
                          '  mode http\n')
        status, out, _ = run('tandem', 'migrate', conf)
        self.assertEqual(status, 0)
        self.assertEqual(out, 'defaults\n  timeout connect 5000 # old\nlisten web\n'
                         '  bind *:80\n  mode http\n')

    def test_keepalived_config_test(self):
        # Errors: exit 5, keepalived's "(FILE: Line N) message" style, each message once.
        conf = self.write('keepalived.conf', 'vrrp_instance VI_1 {\n  priority 300\n  stat MASTER\n}\n')
        status, out, err = run('keepalived', '-t', '-f', conf)
        self.assertEqual((status, out), (5, ''), err)
        self.assertIn(f"({conf}: Line 2) number '300' for 'priority' outside range [1, 255]\n", err)
        self.assertIn(f"({conf}: Line 3) unknown keyword 'stat' in a vrrp_instance block", err)
        self.assertIn("did you mean 'state'?", err)
        self.assertIn(f"({conf}: Line 1) vrrp_instance 'VI_1' has no virtual_router_id", err)
        self.assertEqual(len(err.splitlines()), len(set(err.splitlines())), err)
        # Clean: exit 0, nothing said.
        ok = self.write('ok.conf', 'global_defs {\n  router_id here\n}\n'
                        'vrrp_instance VI_1 {\n  virtual_router_id 7\n'
                        '  virtual_ipaddress {\n    192.0.2.1/24\n  }\n}\n')
        self.assertEqual(run('keepalived', '-t', '-f', ok), (0, '', ''))
        # Scripts without enable_script_security: exit 6.
        scripts = self.write('s.conf', 'vrrp_script chk {\n  script "/bin/true"\n}\n'
                             'vrrp_instance VI_1 {\n  virtual_router_id 7\n'
                             '  virtual_ipaddress {\n    192.0.2.1\n  }\n'
                             '  track_script {\n    chk\n  }\n}\n')
        status, _, err = run('keepalived', '-t', '-f', scripts)
        self.assertEqual(status, 6, err)
        self.assertIn('enable_script_security', err)
        # -t=FILE writes the messages to FILE.
        log = os.path.join(self.dir, 'test.log')
        status, _, err = run('keepalived', '--config-test=' + log, '-f', conf)
        self.assertEqual((status, err), (5, ''))
        with open(log) as f:
            self.assertIn('outside range [1, 255]', f.read())

    def test_keepalived_modes(self):
        # An instance that cannot run: nothing starts (nothing touches this host's network).
        conf = self.write('keepalived.conf', 'vrrp_instance VI_1 {\n}\n')
        status, _, err = run('tandem', 'keepalived', '-n', '-l', '-D', '--use-file=' + conf)
        self.assertEqual(status, 1, err)
        self.assertIn('tandem keepalived: the configuration cannot run; nothing started\n', err)

    def test_check_and_migrate_need_a_known_language(self):
        conf = self.write('notes.cfg', 'hello world\n')
        for argv in (('tandem', 'check', conf), ('tandem', 'migrate', conf)):
            status, out, err = run(*argv)
            self.assertEqual((status, out), (1, ''), argv)
            self.assertIn(f'{conf}: error: cannot tell whether this is an HAProxy or a keepalived '
                          'configuration [unknown-language]', err)


class fifo_process_name(temp_dir_case):
    """The loader blocks on a FIFO config; meanwhile the process must already be named."""

    def blocked_process(self, argv, expected_name, expected_message, extra=(), loaded=True,
                        status=2, runs=False):
        fifo = os.path.join(self.dir, 'config.fifo')
        os.mkfifo(fifo)
        flag = '-f'
        proc = subprocess.Popen([os.path.join(BIN, argv[0]), *argv[1:], *extra, flag, fifo],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                stdin=subprocess.DEVNULL)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        # Opening the write end without blocking succeeds only once the process has the FIFO
        # open for reading, i.e. it is inside the loader, waiting for the configuration.
        deadline = time.monotonic() + 10
        fd = None
        while fd is None:
            try:
                fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:
                if proc.poll() is not None:
                    self.fail('exited before reading the FIFO: ' + proc.communicate()[1])
                self.assertLess(time.monotonic(), deadline, 'never opened the FIFO')
                time.sleep(0.01)
        try:
            with open(f'/proc/{proc.pid}/comm', encoding='utf-8') as f:
                self.assertEqual(f.read().strip(), expected_name)
            pgrep = subprocess.run(['pgrep', '-x', expected_name], capture_output=True,
                                   text=True, timeout=10)
            self.assertIn(str(proc.pid), pgrep.stdout.split(), 'pgrep -x ' + expected_name)
            self.assertIsNone(proc.poll(), 'must still be waiting for end of file')
            os.write(fd, b'# written through a FIFO\n')
        finally:
            os.close(fd)
        if runs:
            # keepalived with no instance runs (as keepalived does) until SIGTERM, still named
            # keepalived; with no instance it opens nothing on this host's interfaces.
            time.sleep(1)
            self.assertIsNone(proc.poll(), 'must keep running')
            with open(f'/proc/{proc.pid}/comm', encoding='utf-8') as f:
                self.assertEqual(f.read().strip(), expected_name)
            proc.terminate()
            out, err = proc.communicate(timeout=20)
            self.assertEqual(proc.returncode, 0, err)
            self.assertIn('Startup complete', out)
            self.assertIn('Stopping', out)
            return
        out, err = proc.communicate(timeout=20)
        if expected_message is None:
            # keepalived -t on a file holding only a comment: nothing to say, exit 0.
            self.assertEqual((proc.returncode, err), (0, ''))
            return
        self.assertEqual(proc.returncode, status, err)
        if loaded:
            self.assertIn(f'loaded 1 configuration file: {fifo}\n', err)
        self.assertIn(expected_message, out + err)

    # A comment only: nothing to listen on, so HAProxy refuses to start (exit 1).
    def test_haproxy_link(self):
        self.blocked_process(['haproxy'], 'haproxy', 'No enabled listener found', loaded=False,
                             status=1)

    def test_tandem_haproxy(self):
        self.blocked_process(['tandem', 'haproxy'], 'haproxy', 'No enabled listener found',
                             loaded=False, status=1)

    def test_tandem_haproxy_check(self):
        # A comment only: valid, but nothing listens, so HAProxy's -c exits 2.
        self.blocked_process(['tandem', 'haproxy', '-c'], 'haproxy',
                             'Configuration file has no error but will not start (no listener)',
                             loaded=False)

    def daemon_flags(self):
        # Pidfiles in the test's folder, not this host's /run.
        return ('-n', '-l', '-G', '-p', os.path.join(self.dir, 'k.pid'),
                '-r', os.path.join(self.dir, 'v.pid'))

    def test_keepalived_link(self):
        self.blocked_process(['keepalived'], 'keepalived', None, self.daemon_flags(), runs=True)

    def test_tandem_keepalived(self):
        self.blocked_process(['tandem', 'keepalived'], 'keepalived', None, self.daemon_flags(),
                             runs=True)

    def test_tandem_keepalived_config_test(self):
        self.blocked_process(['tandem', 'keepalived', '-t'], 'keepalived', None)


if __name__ == '__main__':
    if len(sys.argv) < 2 or not os.path.isfile(os.path.join(sys.argv[1], 'tandem')):
        sys.exit('usage: test_executable.py BIN_DIR (the directory holding tandem)')
    BIN = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
