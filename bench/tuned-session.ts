import { existsSync, readFileSync } from 'node:fs';
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

/**
 * Two of the profiles TuneD ships, as its users run them: a server's `throughput-performance`
 * (CPU governor and energy bias, disk read-ahead, four sysctls) and the general `balanced` (a
 * cpufreq module, the CPU governor, audio, video and SCSI link power saving). They change
 * settings of the whole machine, so they are run only in the VM, never on the host.
 */
export const SHIPPED_PROFILES = ['throughput-performance', 'balanced'] as const;

const TUNED = '/usr/sbin/tuned';
const DBUS_DAEMON = '/usr/bin/dbus-daemon';
const DBUS_MONITOR = '/usr/bin/dbus-monitor';
/** TuneD is Python; its client library python3-dbus comes with it. */
const SYSTEM_PYTHON = '/usr/bin/python3';
const SHIPPED_PROFILE_DIR = '/usr/lib/tuned';

export interface TunedRun {
  /** Profile switches timed, after `warmUp` that are not. */
  readonly switches: number;
  readonly warmUp?: number;
  /** The benchmark's own 4-sysctl profiles (the default), or SHIPPED_PROFILES. */
  readonly profiles?: 'bench' | 'shipped';
}

export interface TunedResult {
  readonly switchMs: number[];
  readonly failed: number;
  /** Warnings and errors TuneD logged while switching (what of a shipped profile did not apply), each once. */
  readonly problems?: string[];
}

/** Why TuneD cannot be run here, or undefined when it can. */
export function tunedMissing(): string | undefined {
  const missing = [TUNED, DBUS_DAEMON, DBUS_MONITOR, SYSTEM_PYTHON].filter((p) => !existsSync(p));
  return missing.length > 0 ? `TuneD row skipped: ${missing.join(', ')} not installed (Debian: tuned, dbus)` : undefined;
}

/**
 * The sysctls a shipped profile sets, from its own [sysctl] section, to read back after a
 * switch: `>N` is TuneD's "at least N". Sections of other names apply to other machines only.
 */
export function profileSysctls(text: string): Record<string, string> {
  const sysctls: Record<string, string> = {};
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) section = header[1] as string;
    else if (section === 'sysctl') {
      // `key=>N` splits into the key and ">N".
      const at = line.indexOf('=');
      const value = line.slice(at + 1).trim();
      if (at > 0 && !value.includes('$')) sysctls[line.slice(0, at).trim()] = value;
    }
  }
  return sysctls;
}

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * A shell script (run as root, in a mount namespace of its own: the VM, or `unshare -m`) that
 * gives TuneD a private configuration folder, a private D-Bus system bus, starts it, times the
 * profile switches with tuned-switch-client.py and stops both. The last line of its output is
 * the client's JSON (TunedResult).
 *  - The benchmark's profiles: no dynamic tuning, no re-applying of the system's sysctl.d.
 *    A switch ends when the four sysctls read back set.
 *  - The shipped profiles: TuneD's own tuned-main.conf, as installed. A switch ends when TuneD
 *    signals the profile applied (profile_changed, sent once every plugin has run) and the
 *    sysctls the profile sets read back set.
 */
export function tunedSessionScript(benchDir: string, run: TunedRun): string {
  const dir = '/tmp/persona-bench-tuned';
  const shipped = run.profiles === 'shipped';
  const profiles: Record<string, Record<string, string>> = shipped
    ? Object.fromEntries(SHIPPED_PROFILES.map((name) => [name, existsSync(join(SHIPPED_PROFILE_DIR, name, 'tuned.conf')) ? profileSysctls(readFileSync(join(SHIPPED_PROFILE_DIR, name, 'tuned.conf'), 'utf8')) : {}]))
    : TUNED_PROFILES;
  const ownProfiles = shipped
    ? ''
    : Object.entries(TUNED_PROFILES)
        .map(([name, values]) => {
          const body = ['[main]', `summary=persona benchmark profile ${name}`, '[sysctl]', ...Object.entries(values).map(([k, v]) => `${k}=${v}`)].join('\n');
          return `mkdir -p ${dir}/etc/${name} && printf '%s\\n' ${quote(body)} > ${dir}/etc/${name}/tuned.conf`;
        })
        .join('\n');
  const mainConf = shipped
    ? `cp /etc/tuned/tuned-main.conf ${dir}/etc/tuned-main.conf`
    : `printf 'daemon = 1\\ndynamic_tuning = 0\\nsleep_interval = 1\\nupdate_interval = 10\\nrecommend_command = 0\\nreapply_sysctl = 0\\n' > ${dir}/etc/tuned-main.conf`;
  const [first] = Object.keys(profiles);
  const spec = JSON.stringify({ profiles, switches: run.switches, warmUp: run.warmUp ?? 0, signal: shipped, logs: [`${dir}/tuned.out`, `${dir}/log/tuned.log`] });
  return `set -e
rm -rf ${dir}; mkdir -p ${dir}/etc ${dir}/run ${dir}/log
${mainConf}
${ownProfiles}
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
<policy context="default"><allow user="*"/><allow own="*"/><allow send_destination="*"/><allow receive_sender="*"/><allow eavesdrop="true"/></policy></busconfig>
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
