/** How many characters of ended runs' JSON the server keeps by default (~64 MB). */
export const ENDED_RESULTS_CHARS = 64 * 1024 * 1024;

/** A run's result as JSON, and the seq of the last event it folds. */
export interface ResultJson {
  json: string;
  seq: number;
}

/**
 * The JSON of runs that have ended, as `GET /v1/runs/:id` sends it for a run read from the journal:
 * made once, since an ended run's result never changes, and kept within a budget of characters,
 * the least recently asked for let go first. Making it reads and folds the run's whole journal and
 * serialises the result (0.6-1.8 s of the event loop for a run of 20 MB, on every request before).
 * Requests that come while it is being made share that making; if it finds the run not ended,
 * they make it again, together: a making begun before a request came may not hold an event
 * stored before it (the run's end a client was just sent over its event stream).
 */
export class EndedResultJson {
  private readonly kept = new Map<string, ResultJson & { createdAt: string | undefined }>();
  private readonly making = new Map<string, Promise<(ResultJson & { ended: boolean }) | undefined>>();
  private chars = 0;

  constructor(private readonly budget = ENDED_RESULTS_CHARS) {}

  /**
   * The run's JSON: kept, or being made, or made now by `make` (which says whether the run has
   * ended: only then is the JSON kept). Undefined when `make` finds no such run. `createdAt` is
   * the run record's: what was kept of an earlier run deleted and made again under the same id is
   * not given for this one.
   */
  get(runId: string, make: () => Promise<(ResultJson & { ended: boolean }) | undefined>, createdAt?: string): Promise<ResultJson | undefined> {
    let read = this.kept.get(runId);
    // Kept of a run deleted since and made again under its id: not this run's.
    if (read !== undefined && read.createdAt !== createdAt) {
      this.forget(runId);
      read = undefined;
    }
    if (read !== undefined) {
      // Asked for again: the most recent in the Map's order.
      this.kept.delete(runId);
      this.kept.set(runId, read);
      return Promise.resolve({ json: read.json, seq: read.seq });
    }
    const pending = this.making.get(runId);
    // Joined: a state still running may be older than this request; the run is read again, after it.
    const made = pending ? pending.then((read) => (read && !read.ended ? this.make(runId, make, createdAt) : read)) : this.make(runId, make, createdAt);
    return made.then((read) => read && { json: read.json, seq: read.seq });
  }

  /** Makes the run's JSON, shared by the requests that come meanwhile, and keeps it if the run has ended. */
  private make(runId: string, make: () => Promise<(ResultJson & { ended: boolean }) | undefined>, createdAt: string | undefined): Promise<(ResultJson & { ended: boolean }) | undefined> {
    let pending = this.making.get(runId);
    if (!pending) {
      pending = make().then(
        (made) => {
          this.making.delete(runId);
          if (made?.ended) this.keep(runId, { json: made.json, seq: made.seq, createdAt });
          return made;
        },
        (e: unknown) => {
          this.making.delete(runId);
          throw e;
        },
      );
      this.making.set(runId, pending);
    }
    return pending;
  }

  /** Lets go of a run's JSON (the run was deleted). */
  forget(runId: string): void {
    const read = this.kept.get(runId);
    if (read === undefined) return;
    this.kept.delete(runId);
    this.chars -= read.json.length;
  }

  private keep(runId: string, read: ResultJson & { createdAt: string | undefined }): void {
    const size = read.json.length;
    if (size > this.budget) return;
    this.forget(runId);
    for (const [id, old] of this.kept) {
      if (this.chars + size <= this.budget) break;
      this.kept.delete(id);
      this.chars -= old.json.length;
    }
    this.kept.set(runId, read);
    this.chars += size;
  }
}
