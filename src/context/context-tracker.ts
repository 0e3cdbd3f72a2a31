import { createActor, type Actor } from 'xstate';
import type { ContextMachine } from './context-machine.js';
import type { ContextState, RegionName } from './context-names.js';
import type { DrivingFeatures } from './driving-features.js';
import type { InstanceInput } from './instance-features.js';
import type { WorkloadInput } from './workload-features.js';

export interface ContextChange {
  readonly region: RegionName;
  readonly from: string;
  readonly to: string;
  readonly timeMs: number;
  /** The whole context after the change. */
  readonly state: ContextState;
}

/** Runs the context statechart over driving samples, workload samples and the host's instance context. */
export class ContextTracker {
  private readonly actor: Actor<ContextMachine>;

  constructor(machine: ContextMachine) {
    this.actor = createActor(machine);
  }

  start(): void {
    this.actor.start();
  }

  stop(): void {
    this.actor.stop();
  }

  get current(): ContextState {
    return this.actor.getSnapshot().value as unknown as ContextState;
  }

  /** Feeds one driving sample; returns the change of the driving context, if any. */
  sample(features: DrivingFeatures): ContextChange | undefined {
    return this.send({ type: 'SAMPLE', features }, features.timeMs)[0];
  }

  /** Feeds one workload sample; returns the changes of the workload and io regions. */
  workload(workload: WorkloadInput): ContextChange[] {
    return this.send({ type: 'WORKLOAD', workload }, workload.timeMs);
  }

  /** Feeds the host's instance context; returns the change of the instance region, if any. */
  instance(instance: InstanceInput): ContextChange[] {
    return this.send({ type: 'INSTANCE', instance }, instance.timeMs);
  }

  private send(event: Parameters<Actor<ContextMachine>['send']>[0], timeMs: number): ContextChange[] {
    const before = this.current;
    this.actor.send(event);
    const after = this.current;
    return (Object.keys(after) as RegionName[])
      .filter((region) => before[region] !== after[region])
      .map((region) => ({ region, from: before[region], to: after[region], timeMs, state: after }));
  }
}
