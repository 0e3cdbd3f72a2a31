import { join } from 'node:path';
import { BROKER, FIXTURES, NODE, root } from './ecu.js';

/** The guest as an image would have it: a writable /etc with user and group persona, /var/lib/persona, the udev rule's mode. */
export function guestSetupScript(parkedLog: string): string {
  return `set -e
ip link set lo up
cp -a /etc /tmp/etc && mount --bind /tmp/etc /etc
echo 'persona:x:64990:personad' >>/etc/group
echo 'personad:x:64990:64990:persona daemon:/nonexistent:/usr/sbin/nologin' >>/etc/passwd
chgrp persona /dev/persona && chmod 0660 /dev/persona
mount -t debugfs none /sys/kernel/debug
mount -t tmpfs -o mode=0755 tmpfs /var/lib
install -d -o personad -g persona -m 0750 /var/lib/persona
install -d -m 0755 /etc/persona/manifests
cp -r ${root}/manifests/pvnic ${root}/manifests/drivers ${root}/manifests/trust ${root}/manifests/policy.json /etc/persona/manifests/
cp ${FIXTURES}/persona.config.json /etc/persona/
sysctl -qw net.core.rmem_default=4194304 net.core.rmem_max=4194304
ip link add dev vcan0 type vcan && ip link set vcan0 up
test -s ${parkedLog}
printf 'listener 1883 127.0.0.1\\nallow_anonymous true\\n' >/tmp/mosquitto.conf
mosquitto -c /tmp/mosquitto.conf -d
nohup ${NODE} ${join(root, 'dist/test/e2e/mqtt-journal.js')} ${BROKER} 'persona/#' /tmp/mqtt.jsonl >/tmp/journal.log 2>&1 &`;
}
