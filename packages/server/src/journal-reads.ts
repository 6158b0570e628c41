import type { RunEvent, RunStore } from 'batonjs/internal';

interface SharedRun {
  /** The run's events as far as read, contiguous from its first. */
  events: RunEvent[];
  /** Open readers; the events are let go when the last closes. */
  readers: number;
  /** The read under way. */
  reading: Promise<void> | undefined;
  /** The read after it, shared by every reader that asked while one was under way. */
  next: Promise<void> | undefined;
}

/** One event stream's view of a run's journal: see {@link SharedJournalReads}. */
export interface JournalReader {
  /** The run's events with seq > afterSeq, read from the journal now (shared objects: change nothing). */
  eventsAfter(afterSeq: number): Promise<RunEvent[]>;
  /** Lets go of the run's events once no other reader holds them; again does nothing. */
  close(): void;
}

/**
 * The events of runs that event streams read from the journal (runs not held in this process), one
 * copy per run however many streams follow it, kept while one is open. Each stream used to read the
 * whole journal of its run for itself and hold it until its client had read it: a client that
 * reads slowly, or never, held its own copy for as long as it stayed connected, so twenty such
 * clients of a 20 MB run held 400 MB. Reads asked for while one is under way share the next one,
 * never the one under way, which may have begun before an event the caller knows of was stored.
 */
export class SharedJournalReads {
  private readonly runs = new Map<string, SharedRun>();

  constructor(private readonly store: Pick<RunStore, 'readEvents'>) {}

  open(runId: string): JournalReader {
    let run = this.runs.get(runId);
    if (!run) this.runs.set(runId, (run = { events: [], readers: 0, reading: undefined, next: undefined }));
    run.readers++;
    const shared = run;
    let open = true;
    return {
      eventsAfter: async (afterSeq) => {
        await this.refresh(shared, runId);
        const first = shared.events[0]?.seq ?? 1;
        return shared.events.slice(Math.max(0, afterSeq - first + 1));
      },
      close: () => {
        if (!open) return;
        open = false;
        shared.readers--;
        if (shared.readers === 0 && this.runs.get(runId) === shared) this.runs.delete(runId);
      },
    };
  }

  private refresh(run: SharedRun, runId: string): Promise<void> {
    if (run.reading) {
      const after = (): Promise<void> => {
        run.next = undefined;
        return this.refresh(run, runId);
      };
      return (run.next ??= run.reading.then(after, after));
    }
    const reading = this.readMore(run, runId);
    run.reading = reading;
    const done = (): void => {
      if (run.reading === reading) run.reading = undefined;
    };
    reading.then(done, done);
    return reading;
  }

  private async readMore(run: SharedRun, runId: string): Promise<void> {
    const more = await this.store.readEvents(runId, run.events.at(-1)?.seq ?? 0);
    for (const e of more) {
      const last = run.events.at(-1)?.seq;
      if (last === undefined || e.seq === last + 1) run.events.push(e);
    }
  }
}
