/** A set of ids that forgets each one `ttlMs` after it was added (bounded memory). */
export class RecentIds {
  private readonly added = new Map<string, number>();

  constructor(
    private readonly ttlMs: number,
    private readonly max = 10_000,
  ) {}

  add(id: string, now = Date.now()): void {
    this.added.delete(id);
    this.added.set(id, now);
    this.prune(now);
  }

  has(id: string, now = Date.now()): boolean {
    const at = this.added.get(id);
    return at !== undefined && now - at < this.ttlMs;
  }

  private prune(now: number): void {
    // Insertion order is age order: drop from the oldest end.
    for (const [id, at] of this.added) {
      if (now - at < this.ttlMs && this.added.size <= this.max) break;
      this.added.delete(id);
    }
  }
}
