import type { Output } from './output.js';

export interface Command {
  help: string;
  run(args: string[], out: Output): number | Promise<number>;
}

/**
 * Every command, loaded only when it is used: the daemon pulls in xstate, ajv and the
 * manifests, which a quick `persona status` should not wait for.
 */
export const COMMANDS: Record<string, { summary: string; load(): Promise<Command> }> = {
  run: { summary: 'run the daemon: CAN → context → personality → driver → MQTT', load: async () => import('./run-command.js').then((m) => ({ help: m.RUN_HELP, run: m.runCommand })) },
  why: { summary: "explain the running daemon's latest decision", load: async () => import('./why-command.js').then((m) => ({ help: m.WHY_HELP, run: m.whyCommand })) },
  status: { summary: "the running daemon's state: context, personality per driver, holds", load: async () => import('./status-command.js').then((m) => ({ help: m.STATUS_HELP, run: m.statusCommand })) },
  list: { summary: "the running daemon's personalities per driver, and its holds", load: async () => import('./list-command.js').then((m) => ({ help: m.LIST_HELP, run: m.listCommand })) },
  select: { summary: 'hold a personality for a driver; prints the token that releases it', load: async () => import('./select-command.js').then((m) => ({ help: m.SELECT_HELP, run: m.selectCommand })) },
  release: { summary: 'release a hold with its token', load: async () => import('./release-command.js').then((m) => ({ help: m.RELEASE_HELP, run: m.releaseCommand })) },
  watch: { summary: 'follow context changes, switches, holds and refusals as they happen', load: async () => import('./watch-command.js').then((m) => ({ help: m.WATCH_HELP, run: m.watchCommand })) },
  simulate: { summary: 'run the decision pipeline over a recorded drive, offline', load: async () => import('./simulate-command.js').then((m) => ({ help: m.SIMULATE_HELP, run: m.simulateCommand })) },
  signals: { summary: "print a vehicle's decoded VSS signals from CAN (a first check)", load: async () => import('./signals-command.js').then((m) => ({ help: m.SIGNALS_HELP, run: m.signalsCommand })) },
  vehicle: { summary: 'check a new car: each mapped signal and the contexts a recorded drive gives, with a verdict', load: async () => import('./vehicle-command.js').then((m) => ({ help: m.VEHICLE_HELP, run: m.vehicleCommand })) },
  dbc: { summary: 'lint DBC files', load: async () => import('./dbc-command.js').then((m) => ({ help: m.DBC_HELP, run: m.dbcCommand })) },
  synth: { summary: 'encode a drive profile into a candump log', load: async () => import('./synth-command.js').then((m) => ({ help: m.SYNTH_HELP, run: m.synthCommand })) },
  diagram: { summary: 'render the context statechart to SVG (Graphviz)', load: async () => import('./diagram-command.js').then((m) => ({ help: m.DIAGRAM_HELP, run: m.diagramCommand })) },
  manifest: { summary: 'make keys, sign, verify, lint and explain personality manifests', load: async () => import('./manifest-command.js').then((m) => ({ help: m.MANIFEST_HELP, run: m.manifestCommand })) },
  profile: { summary: "sweep a live driver's parameters and generate personalities from the trade-off", load: async () => import('./profile-command.js').then((m) => ({ help: m.PROFILE_HELP, run: m.profileCommand })) },
  host: { summary: 'the hypervisor-side agent of the shared namespace, and what each instance adopted', load: async () => import('./host-command.js').then((m) => ({ help: m.HOST_HELP, run: m.hostCommand })) },
  trust: { summary: 'create and rotate the trust root that says which keys may sign; reset a trusted time carried too far', load: async () => import('./trust-command.js').then((m) => ({ help: m.TRUST_HELP, run: m.trustCommand })) },
};

