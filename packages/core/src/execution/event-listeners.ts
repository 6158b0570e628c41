import type { RunEvent } from '../core/events.ts';
import { SlotMap } from '../core/slot-map.ts';

/**
 * Told of each event of a run as it is emitted, or once it is stored ({@link ListenOptions.stored}).
 * The event is the journal's own object: read it, do not change it (copy it first to redact or
 * enrich it). A listener that throws, or returns a promise that rejects, is ignored; the run goes on.
 */
export type EventListener = (event: RunEvent) => void;

function ignoreListenerFailure(): void {}

function tellOne(listener: EventListener, event: RunEvent): void {
  try {
    const told: unknown = listener(event);
    // An async listener's failure is a rejected promise: unhandled, it would end the process.
    if (told instanceof Promise) told.catch(ignoreListenerFailure);
  } catch {
    // A listener's bug must not break the run.
  }
}

function without(listeners: readonly EventListener[], listener: EventListener): readonly EventListener[] {
  const i = listeners.indexOf(listener);
  return i < 0 ? listeners : [...listeners.slice(0, i), ...listeners.slice(i + 1)];
}

/** Which of a run's events a listener is told of, and when. */
export interface ListenOptions {
  /** Only the events of this run (found by its id: other runs' events cost such a listener nothing). */
  runId?: string | undefined;
  /**
   * Told of each event once the journal holds it (the store accepted the write of its tick) instead
   * of at once as the run emits it: never of an event the store refused because another process
   * took the run over. Events come in seq order, a tick (or a round trip to the store) later. For
   * what shows a client the journal's history, such as a stream it resumes by seq.
   */
  stored?: boolean | undefined;
}

/**
 * The listeners of an orchestrator's runs: those of every run, and those of one run each, told of
 * each event at once as it is emitted, or once it is stored ({@link ListenOptions.stored}).
 */
export class RunEventListeners {
  private readonly emitted = new ListenerLists();
  private readonly stored = new ListenerLists();

  /**
   * Adds a listener of every run, or of the run `runId` only; returns the function that removes
   * it (once: a second call does nothing). The listeners of one run are let go once it has ended
   * (`run.ended`: nothing more of it comes), so a listener never removed is not kept for good.
   */
  add(listener: EventListener, options: ListenOptions = {}): () => void {
    return (options.stored ? this.stored : this.emitted).add(listener, options.runId);
  }

  /**
   * Tells `event`, as it is emitted, to the listeners of every run, then to those of its run, each
   * in the order they were added, then to `own` (the run's `onEvent`).
   */
  tell(event: RunEvent, own: EventListener | undefined): void {
    this.emitted.tell(event);
    if (own) tellOne(own, event);
  }

  /** True when some listener waits for stored events: else a write done has no one to tell. */
  get hasStoredListeners(): boolean {
    return this.stored.any();
  }

  /** Tells an event the store has accepted to the listeners of stored events (of every run, then of its run). */
  tellStored(event: RunEvent): void {
    this.stored.tell(event);
  }
}

/**
 * Listeners of every run and of one run each. A run's own listeners are found by its id, so an
 * event costs nothing to the listeners of other runs: a server following a thousand runs, each
 * over its own stream, used to call a thousand listeners per event, each to learn that the event
 * was not its run's.
 *
 * A list is replaced, never changed, when a listener is added or removed: an event is told to the
 * listeners there were when it was journaled, all of them, even when one of them stops listening
 * (its own or another's remover called from inside a listener) before the others were told.
 */
class ListenerLists {
  private all: readonly EventListener[] = [];
  private readonly byRun = new SlotMap<string, RunListeners>();

  any(): boolean {
    return this.all.length > 0 || this.byRun.size > 0;
  }

  add(listener: EventListener, runId: string | undefined): () => void {
    if (runId === undefined) {
      this.all = [...this.all, listener];
      return once(() => {
        this.all = without(this.all, listener);
      });
    }
    let ofRun = this.byRun.get(runId);
    if (!ofRun) this.byRun.set(runId, (ofRun = { list: [] }));
    ofRun.list = [...ofRun.list, listener];
    const added = ofRun;
    return once(() => {
      added.list = without(added.list, listener);
      // Only the entry it was added to: a run of the same id since (a forgotten run's id used again) has its own.
      if (added.list.length === 0 && this.byRun.get(runId) === added) this.byRun.delete(runId);
    });
  }

  /** Tells `event` to the listeners of every run, then to those of its run, each in the order they were added. */
  tell(event: RunEvent): void {
    // Both lists as they are now, before any listener is told and can add or remove one.
    const { all } = this;
    const ofRun = this.byRun.size > 0 ? this.byRun.get(event.runId) : undefined;
    const mine = ofRun?.list;
    if (ofRun && event.type === 'run.ended') this.byRun.delete(event.runId);
    for (let i = 0; i < all.length; i++) tellOne(all[i]!, event);
    if (mine) for (let i = 0; i < mine.length; i++) tellOne(mine[i]!, event);
  }
}

/** The listeners of one run: replaced as a whole when one is added or removed. */
interface RunListeners {
  list: readonly EventListener[];
}

function once(remove: () => void): () => void {
  let removed = false;
  return () => {
    if (removed) return;
    removed = true;
    remove();
  };
}
