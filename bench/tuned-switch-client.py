# SPDX-License-Identifier: Apache-2.0
"""Times TuneD profile switches over D-Bus, for the side-by-side row of the benchmarks.

Each switch: com.redhat.tuned.control.switch_profile is called, then the profile's sysctl
values are read from /proc/sys until all of them are set. The time is taken from the call
to the first read that sees every value (no busy polling while the call is in flight, so
TuneD has the CPU to itself; a value set before the reply arrives is seen right after it).
Prints one JSON line: {"switchMs": [...], "failed": n}.
Usage: tuned-switch-client.py '{"profiles": {"name": {"net.core.somaxconn": "1024", ...}, ...}, "switches": N}'
"""
import json
import sys
import time

import dbus


def read(key):
    with open('/proc/sys/' + key.replace('.', '/')) as f:
        return f.read().split()


def main():
    spec = json.loads(sys.argv[1])
    profiles = list(spec['profiles'].items())
    tuned = dbus.Interface(dbus.SystemBus().get_object('com.redhat.tuned', '/Tuned'), 'com.redhat.tuned.control')
    times, failed = [], 0
    for i in range(spec['switches']):
        name, values = profiles[(i + 1) % len(profiles)]
        started = time.perf_counter()
        ok, message = tuned.switch_profile(name)
        if not ok:
            failed += 1
            print('switch to %s failed: %s' % (name, message), file=sys.stderr)
            continue
        while any(read(k) != str(v).split() for k, v in values.items()):
            time.sleep(0.0001)
        times.append((time.perf_counter() - started) * 1000)
    print(json.dumps({'switchMs': times, 'failed': failed}))


main()
