/**
 * How long Baton's scheduling may hold one turn of the event loop before its launches wait for
 * the next turn. A run whose agents answer in microtasks (in-process code with no I/O) never gives
 * the loop a turn on its own: until it ended, no timer fired (attempt and run deadlines, retries),
 * no I/O was read (a server's requests, a cancel, a heartbeat) and nothing was journaled (the
 * journal writes once per turn). A 20,000-task run held the loop for a second.
 */
export const TURN_BUDGET_MS = 10;

/** When the current turn's first launch was asked for (`performance.now()`), or -1 between turns. */
let turnStartedAt = -1;
/** Launches put off to the next turn, oldest first. */
let waiting: (() => void)[] = [];

/**
 * How many runs may begin in one turn of the event loop; the runs asked for beyond it begin in the
 * turns after, in the order they were asked for. A burst of runs started at once (a thousand
 * `run()` calls in one loop) otherwise had every run's state live together: all of it outlived
 * two scavenges and was copied into the old generation, and the runs of in-process agents made
 * progress breadth-first, none ending before all had begun. Runs that wait for I/O lose nothing:
 * a thousand begin within sixteen turns, a few milliseconds.
 */
export const RUN_STARTS_PER_TURN = 64;
let startsThisTurn = 0;
/** Runs waiting to begin, oldest first (from `admitted` on). */
let admissions: (() => void)[] = [];
let admitted = 0;

/**
 * Undefined when a run may begin now (fewer than {@link RUN_STARTS_PER_TURN} began in this turn and
 * none waits), or a promise that resolves in the turn it may, after the runs asked for before it.
 */
export function runAdmission(): Promise<void> | undefined {
  if (turnStartedAt < 0) startTurn(performance.now());
  if (admitted === admissions.length && startsThisTurn < RUN_STARTS_PER_TURN) {
    startsThisTurn++;
    return undefined;
  }
  return new Promise<void>((resolve) => admissions.push(resolve));
}

/**
 * Whether this turn of the event loop has run Baton's work for longer than {@link TURN_BUDGET_MS}:
 * the caller then hands its launch to {@link inNextTurn}. The first call of a turn starts its clock.
 */
export function turnSpent(): boolean {
  const now = performance.now();
  if (turnStartedAt < 0) {
    startTurn(now);
    return false;
  }
  return now - turnStartedAt > TURN_BUDGET_MS;
}

/** Runs `launch` in the next turn of the event loop, after its timers and I/O. `launch` owns its errors: it must not throw. */
export function inNextTurn(launch: () => void): void {
  waiting.push(launch);
}

// A check-phase callback runs once the microtasks of the turn are drained: the turn is over then.
function startTurn(now: number): void {
  turnStartedAt = now;
  setImmediate(endTurn);
}

function endTurn(): void {
  startsThisTurn = 0;
  const launches = waiting;
  if (launches.length === 0 && admitted === admissions.length) {
    turnStartedAt = -1;
    return;
  }
  waiting = [];
  // The launches and the microtasks they set going are a turn of their own.
  startTurn(performance.now());
  for (const launch of launches) {
    // One owner's bug must not cost the launches of the others behind it.
    try {
      launch();
    } catch (e) {
      process.emitWarning(`a launch put off to the next turn threw: ${String(e)}`, 'BatonWarning');
    }
  }
  while (admitted < admissions.length && startsThisTurn < RUN_STARTS_PER_TURN) {
    startsThisTurn++;
    admissions[admitted++]!();
  }
  // Compacted once half of it is behind the head: under a steady overload it never drains.
  if (admitted * 2 >= admissions.length) {
    admissions = admissions.slice(admitted);
    admitted = 0;
  }
}
