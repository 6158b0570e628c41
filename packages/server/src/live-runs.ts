import type { RunEvent } from 'batonjs/internal';
import { RunResultBuilder, resultCopy } from 'batonjs/internal';
import type { RunResult, RunStatus } from 'batonjs/internal';
import type { Orchestrator } from 'batonjs/internal';
import { EventTouches } from './result-delta.ts';
import type { AttemptsSent } from './result-delta.ts';

/**
 * How many of a run's latest events are kept for the event streams that replay from near its end
 * (at most twice as many, at least as many): a stream that replays from further back reads the
 * journal, which holds them all. A task retried every second for a day is ~260,000 events.
 */
const RECENT_EVENTS = 1_000;

interface LiveRun {
  builder: RunResultBuilder;
  ended: boolean;
  /** The seq of the last event folded (its `run.started` at least). */
  seq: number;
  /** The run's latest events, in seq order (see {@link RECENT_EVENTS}); `fromStart` while they begin at its first. */
  recent: RunEvent[];
  fromStart: boolean;
  /** What each event folded changed, for {@link LiveRuns.resultSince}. */
  touches: EventTouches;
  /** The result's JSON as last made, and the seq of the last event it holds: made again only once another event came. */
  json?: { seq: number; text: string };
}

/**
 * The live RunResult of every run started in this process, and its latest events, from its events
 * as the journal stores them: each is told once its write is done, so reads of a running run come
 * from here without reading the store. A client never sees a result older than an event it was
 * already sent (the event stream sends stored events too), nor one holding an event the store
 * refused because another process took the run over. Ended runs are forgotten after `keepEndedMs`.
 */
export class LiveRuns {
  private readonly runs = new Map<string, LiveRun>();
  private readonly unsubscribe: () => void;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    source: Pick<Orchestrator, 'on'>,
    private readonly keepEndedMs = 30_000,
    private readonly recentEvents = RECENT_EVENTS,
  ) {
    this.unsubscribe = source.on(this.apply, { stored: true });
  }

  has(runId: string): boolean {
    return this.runs.has(runId);
  }

  /** True once the run's `run.ended` event was seen. */
  ended(runId: string): boolean {
    return this.runs.get(runId)?.ended ?? false;
  }

  /**
   * The run's events with seq > afterSeq; undefined when this process does not hold the run, or
   * no longer holds the first of them (see {@link RECENT_EVENTS}): the journal's are to be read.
   */
  eventsAfter(runId: string, afterSeq = 0): RunEvent[] | undefined {
    const run = this.runs.get(runId);
    if (!run) return undefined;
    const { recent } = run;
    if (!run.fromStart && (recent.length === 0 || afterSeq < recent[0]!.seq - 1)) return undefined;
    return recent.slice(firstAfter(recent, afterSeq));
  }

  /** The run's status so far, or undefined when this process does not hold the run (no copy of its result). */
  status(runId: string): RunStatus | undefined {
    return this.peek(runId)?.status;
  }

  /**
   * The run's result so far as JSON, or undefined when this process does not hold the run: for a
   * response, without the copy {@link result} makes (a copy of a 10,000-task run's result held the
   * event loop for 190-260 ms, its JSON 22 ms). The JSON is made once for each state of the run,
   * however many read it.
   */
  resultJson(runId: string): string | undefined {
    const run = this.runs.get(runId);
    const r = run?.builder.current();
    if (!run || !r) return undefined;
    // Pages that follow a large run read it again after each burst of events, several at once.
    if (run.json?.seq !== run.seq) run.json = { seq: run.seq, text: JSON.stringify(r) };
    return run.json.text;
  }

  /** The seq of the last event folded into the run's result, or undefined when this process does not hold the run. */
  lastSeq(runId: string): number | undefined {
    return this.runs.get(runId)?.seq;
  }

  /**
   * What changed in the run's result after event `sinceSeq`, as JSON: the result without its plan,
   * whose `tasks` are only the records an event after `sinceSeq` named, for a page that holds the
   * result as it was at `sinceSeq`. Undefined when only the whole result can say it: the run is not
   * held here, `sinceSeq` is not one of its events, or an event since then changed the plan or
   * tasks it does not name (a plan made, replaced or edited, a resumption). `attempts` as
   * `deltaJson` takes it.
   */
  resultSince(runId: string, sinceSeq: number, attempts: AttemptsSent = 'all'): string | undefined {
    const run = this.runs.get(runId);
    return run?.touches.since(run.builder, sinceSeq, attempts);
  }

  /** The run's result so far, not a copy: read it at once, change nothing. Undefined when this process does not hold the run. */
  peek(runId: string): Readonly<RunResult> | undefined {
    return this.runs.get(runId)?.builder.current();
  }

  /** A copy of the run's result so far, or undefined when this process does not hold the run. */
  result(runId: string): RunResult | undefined {
    const r = this.peek(runId);
    return r ? resultCopy(r) : undefined;
  }

  /** Forgets a run unless it has ended here (an ended run is kept `keepEndedMs`): what it held is read from the journal from now on. */
  forget(runId: string): void {
    if (!this.runs.get(runId)?.ended) this.runs.delete(runId);
  }

  close(): void {
    this.unsubscribe();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private readonly apply = (event: RunEvent): void => {
    let run = this.runs.get(event.runId);
    if (event.type === 'run.started') {
      run = { builder: new RunResultBuilder(), ended: false, seq: event.seq, recent: [], fromStart: true, touches: new EventTouches() };
      this.runs.set(event.runId, run);
    }
    // A run resumed here without its start being seen is read from the store instead.
    if (run) {
      run.recent.push(event);
      // Cut once twice as many: a copy of the last `recentEvents` every `recentEvents` events.
      if (run.recent.length > 2 * this.recentEvents) {
        run.recent = run.recent.slice(-this.recentEvents);
        run.fromStart = false;
      }
      run.touches.note(event);
      run.seq = event.seq;
      run.builder.apply(event);
      if (event.type === 'run.ended') {
        run.ended = true;
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          this.runs.delete(event.runId);
        }, this.keepEndedMs);
        timer.unref();
        this.timers.add(timer);
      }
    }
  };
}

/** The index of the first of `events` (in seq order) with a seq above `seq`. */
function firstAfter(events: readonly RunEvent[], seq: number): number {
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (events[mid]!.seq <= seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
