# SPDX-License-Identifier: Apache-2.0
"""Times TuneD profile switches over D-Bus, for the side-by-side rows of the benchmarks.

Each switch: com.redhat.tuned.control.switch_profile is called, then the profile's sysctl
values are read from /proc/sys until all of them are set. The time is taken from the call
to the first read that sees every value (no busy polling while the call is in flight, so
TuneD has the CPU to itself; a value set before the reply arrives is seen right after it).
A value ">N" is TuneD's "at least N".

With "signal": true (TuneD's own profiles, whose plugins set more than sysctls), a switch
also waits for TuneD's profile_changed signal for the profile, which TuneD sends once every
plugin has applied it; dbus-monitor, started before the first switch, hands the signals over.
A signal saying the profile failed counts as a failed switch.

The first "warmUp" switches are not timed. Prints one JSON line:
{"switchMs": [...], "failed": n, "problems": [...]}, the problems being the warnings and
errors of TuneD's logs ("logs"), each once.
Usage: tuned-switch-client.py '{"profiles": {"name": {"net.core.somaxconn": "1024", ...}, ...},
  "switches": N, "warmUp": W, "signal": false, "logs": ["/var/log/tuned/tuned.log"]}'
"""
import json
import re
import select
import subprocess
import sys
import time

import dbus


# A switch of a whole profile takes seconds in an emulated VM; one that takes this long hangs.
SIGNAL_TIMEOUT_S = 120


def read(key):
    with open('/proc/sys/' + key.replace('.', '/')) as f:
        return f.read().split()


def is_set(key, wanted):
    got = read(key)
    if wanted.startswith('>'):
        return len(got) == 1 and int(got[0]) >= int(wanted[1:])
    if wanted.startswith('<'):
        return len(got) == 1 and int(got[0]) <= int(wanted[1:])
    return got == wanted.split()


class Signals:
    """profile_changed signals of TuneD, as dbus-monitor prints them."""

    def __init__(self):
        rule = "type='signal',interface='com.redhat.tuned.control',member='profile_changed'"
        self.monitor = subprocess.Popen(['dbus-monitor', '--system', rule], stdout=subprocess.PIPE, bufsize=0)
        # dbus-monitor prints the NameAcquired (or NameLost) of its own connection once it listens.
        self.monitor.stdout.readline()

    def next_profile_changed(self, timeout):
        """(profile names, applied, message) of the next profile_changed signal; None when none comes within timeout seconds."""
        deadline = time.monotonic() + timeout
        while True:
            if not select.select([self.monitor.stdout], [], [], max(0, deadline - time.monotonic()))[0]:
                return None
            line = self.monitor.stdout.readline().decode()
            if not line:
                raise RuntimeError('dbus-monitor ended')
            if 'member=profile_changed' in line:
                args = [self.monitor.stdout.readline().decode().strip() for _ in range(3)]
                return args[0].split(' ', 1)[1].strip('"'), args[1].endswith('true'), args[2].split(' ', 1)[1].strip('"')

    def close(self):
        self.monitor.terminate()
        self.monitor.wait()


def problems(logs):
    """Warnings and errors of TuneD's logs (its output, its log file), each once, without time stamps."""
    seen = []
    for log in logs:
        try:
            with open(log) as f:
                for line in f:
                    m = re.match(r'^\S+ \S+ (WARNING|ERROR)\s+(.*)$', line.strip())
                    if m and m.group(2) not in seen:
                        seen.append(m.group(2))
        except OSError:
            pass
    return seen


def main():
    spec = json.loads(sys.argv[1])
    profiles = list(spec['profiles'].items())
    tuned = dbus.Interface(dbus.SystemBus().get_object('com.redhat.tuned', '/Tuned'), 'com.redhat.tuned.control')
    signals = Signals() if spec.get('signal') else None
    warm_up = spec.get('warmUp', 0)
    times, failed = [], 0
    for i in range(warm_up + spec['switches']):
        name, values = profiles[(i + 1) % len(profiles)]
        started = time.perf_counter()
        ok, message = tuned.switch_profile(name)
        if ok and signals is not None:
            applied = signals.next_profile_changed(SIGNAL_TIMEOUT_S)
            while applied is not None and applied[0] != name:
                applied = signals.next_profile_changed(SIGNAL_TIMEOUT_S)
            if applied is None:
                # TuneD never said it applied the profile: what was timed so far is kept.
                failed += 1
                print('switch to %s: no profile_changed within %d s' % (name, SIGNAL_TIMEOUT_S), file=sys.stderr)
                break
            ok, message = applied[1], applied[2]
        if not ok:
            failed += 1
            print('switch to %s failed: %s' % (name, message), file=sys.stderr)
            continue
        while not all(is_set(k, str(v)) for k, v in values.items()):
            time.sleep(0.0001)
        if i >= warm_up:
            times.append((time.perf_counter() - started) * 1000)
    if signals is not None:
        signals.close()
    print(json.dumps({'switchMs': times, 'failed': failed, 'problems': problems(spec.get('logs', []))}))


main()
