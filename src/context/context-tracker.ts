import { createActor, type Actor } from 'xstate';
import type { DrivingContextMachine, DrivingContextName } from './driving-context-machine.js';
import type { DrivingFeatures } from './driving-features.js';

export interface ContextChange {
  readonly from: DrivingContextName;
  readonly to: DrivingContextName;
  readonly timeMs: number;
  readonly features: DrivingFeatures;
}

/** Runs the driving-context statechart over successive feature samples. */
export class ContextTracker {
  private readonly actor: Actor<DrivingContextMachine>;

  constructor(machine: DrivingContextMachine) {
    this.actor = createActor(machine);
  }

  start(): void {
    this.actor.start();
  }

  stop(): void {
    this.actor.stop();
  }

  get current(): DrivingContextName {
    return this.actor.getSnapshot().value as DrivingContextName;
  }

  /** Feeds one sample; returns the change it caused, if any. */
  update(features: DrivingFeatures): ContextChange | undefined {
    const from = this.current;
    this.actor.send({ type: 'SAMPLE', features });
    const to = this.current;
    return from === to ? undefined : { from, to, timeMs: features.timeMs, features };
  }
}
