/**
 * A counting semaphore: at most `max` holders at once, served in arrival order. A server shares
 * one between its runs so many runs at once cannot start more attempts than the machine holds.
 */
export class Limiter {
  private active = 0;
  private readonly queue: (() => void)[] = [];

  constructor(readonly max: number) {
    if (!(max >= 1)) throw new RangeError(`a limiter needs max >= 1, got ${max}`);
  }

  /** Resolves with a release function once a slot is free. */
  acquire(): Promise<() => void> {
    return new Promise((resolve) => {
      const grant = (): void => {
        this.active++;
        let released = false;
        resolve(() => {
          if (released) return;
          released = true;
          this.active--;
          this.queue.shift()?.();
        });
      };
      if (this.active < this.max) grant();
      else this.queue.push(grant);
    });
  }

  get inUse(): number {
    return this.active;
  }

  get waiting(): number {
    return this.queue.length;
  }
}
