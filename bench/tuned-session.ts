import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Two TuneD profiles that differ in four sysctls, as persona's two personalities differ in
 * four parameters. All four are per network namespace, so on the host TuneD changes only the
 * private namespace the session runs in.
 */
export const TUNED_PROFILES: Record<string, Record<string, string>> = {
  'persona-bench-a': { 'net.core.somaxconn': '1024', 'net.ipv4.tcp_fin_timeout': '30', 'net.ipv4.tcp_keepalive_time': '3600', 'net.ipv4.tcp_syn_retries': '4' },
  'persona-bench-b': { 'net.core.somaxconn': '2048', 'net.ipv4.tcp_fin_timeout': '40', 'net.ipv4.tcp_keepalive_time': '1800', 'net.ipv4.tcp_syn_retries': '5' },
};

const TUNED = '/usr/sbin/tuned';
const DBUS_DAEMON = '/usr/bin/dbus-daemon';
/** TuneD is Python; its client library python3-dbus comes with it. */
const SYSTEM_PYTHON = '/usr/bin/python3';

/** Why TuneD cannot be run here, or undefined when it can. */
export function tunedMissing(): string | undefined {
  const missing = [TUNED, DBUS_DAEMON, SYSTEM_PYTHON].filter((p) => !existsSync(p));
  return missing.length > 0 ? `TuneD row skipped: ${missing.join(', ')} not installed (Debian: tuned, dbus)` : undefined;
}

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * A shell script (run as root, in a mount namespace of its own: the VM, or `unshare -m`) that
 * gives TuneD a private configuration (its two profiles, no dynamic tuning, no re-applying of
 * the system's sysctl.d), a private D-Bus system bus, starts it, times `switches` profile
 * switches with tuned-switch-client.py and stops both. The last line of its output is the
 * client's JSON.
 */
export function tunedSessionScript(benchDir: string, switches: number): string {
  const dir = '/tmp/persona-bench-tuned';
  const profiles = Object.entries(TUNED_PROFILES)
    .map(([name, values]) => {
      const body = ['[main]', `summary=persona benchmark profile ${name}`, '[sysctl]', ...Object.entries(values).map(([k, v]) => `${k}=${v}`)].join('\n');
      return `mkdir -p ${dir}/etc/${name} && printf '%s\\n' ${quote(body)} > ${dir}/etc/${name}/tuned.conf`;
    })
    .join('\n');
  const [first] = Object.keys(TUNED_PROFILES);
  const spec = JSON.stringify({ profiles: TUNED_PROFILES, switches });
  return `set -e
rm -rf ${dir}; mkdir -p ${dir}/etc ${dir}/run ${dir}/log
printf 'daemon = 1\\ndynamic_tuning = 0\\nsleep_interval = 1\\nupdate_interval = 10\\nrecommend_command = 0\\nreapply_sysctl = 0\\n' > ${dir}/etc/tuned-main.conf
${profiles}
echo ${first} > ${dir}/etc/active_profile
echo manual > ${dir}/etc/profile_mode
: > ${dir}/etc/post_loaded_profile; : > ${dir}/etc/bootcmdline
mkdir -p /run/tuned /var/log/tuned 2>/dev/null || true
mount --bind ${dir}/etc /etc/tuned
mount --bind ${dir}/run /run/tuned
mount --bind ${dir}/log /var/log/tuned
cat > ${dir}/bus.conf <<'BUS'
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>system</type><listen>unix:path=${dir}/bus</listen><auth>EXTERNAL</auth>
<policy context="default"><allow user="*"/><allow own="*"/><allow send_destination="*"/><allow receive_sender="*"/></policy></busconfig>
BUS
${DBUS_DAEMON} --config-file=${dir}/bus.conf --fork --print-pid > ${dir}/dbus.pid
export DBUS_SYSTEM_BUS_ADDRESS=unix:path=${dir}/bus
${TUNED} > ${dir}/tuned.out 2>&1 &
tuned_pid=$!
trap 'set +e; kill $tuned_pid 2>/dev/null; kill $(cat ${dir}/dbus.pid) 2>/dev/null; wait $tuned_pid 2>/dev/null; true' EXIT
ready=
for i in $(seq 1 600); do
  if ${SYSTEM_PYTHON} -c 'import dbus,sys; sys.exit(0 if dbus.SystemBus().name_has_owner("com.redhat.tuned") else 1)' 2>/dev/null; then ready=1; break; fi
  sleep 0.2
done
if [ -z "$ready" ]; then echo "tuned did not come up on the private bus:"; tail -20 ${dir}/tuned.out ${dir}/log/tuned.log; exit 1; fi
${SYSTEM_PYTHON} ${quote(join(benchDir, 'tuned-switch-client.py'))} ${quote(spec)}
`;
}
