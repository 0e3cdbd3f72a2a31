/** The head unit: a second client that places holds with `persona select`, known to the daemon by its username as an app. */
import { BROKER, CLI, ECU, HEAD_UNIT } from './ecu.js';

/** Holds `personality` for five minutes at priority 50. */
export function selectCommand(personality: string): string {
  return `${CLI} select ${personality} --hold 5m --priority 50 --broker ${BROKER} --ecu-id ${ECU} --username ${HEAD_UNIT}`;
}

export function releaseCommand(hold: string, token: string): string {
  return `${CLI} release ${hold} ${token} --broker ${BROKER} --ecu-id ${ECU} --username ${HEAD_UNIT}`;
}

/** `persona select` placed its hold: at once (exit 0), or waiting for the minimum interval between switches (409, exit 1). */
export function placed(r: { exitCode: number; output: string }): boolean {
  return /hold \S+ placed/.test(r.output) && (r.exitCode === 0 || /409 placed, but deferred until/.test(r.output));
}

/** The hold and its token, as `persona select` printed them. */
export function placedHold(output: string): { hold: string | undefined; token: string | undefined } {
  return { hold: /hold (\S+) placed/.exec(output)?.[1], token: /token: (\S+)/.exec(output)?.[1] };
}
