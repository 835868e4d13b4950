/**
 * At most `limit` log lines of each kind per window of `windowMs`; the lines over budget are
 * only counted, and `drainSuppressed` hands the counts over for one summary line. A flood of
 * bad requests (forged signatures, say) thus costs a bounded number of lines however fast it
 * comes, while the first lines of each kind still show what it looks like.
 */
export class LogBudget {
  private windowStartedAt = Number.NEGATIVE_INFINITY;
  private readonly spent = new Map<string, number>();
  private suppressed = new Map<string, number>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether a line of this kind may be written now; when not, it is counted as suppressed. */
  take(kind: string): boolean {
    const now = this.now();
    if (now - this.windowStartedAt >= this.windowMs) {
      this.windowStartedAt = now;
      this.spent.clear();
    }
    const spent = this.spent.get(kind) ?? 0;
    if (spent < this.limit) {
      this.spent.set(kind, spent + 1);
      return true;
    }
    this.suppressed.set(kind, (this.suppressed.get(kind) ?? 0) + 1);
    return false;
  }

  /** The lines suppressed since the last call, by kind; empty when none were. */
  drainSuppressed(): ReadonlyMap<string, number> {
    const drained = this.suppressed;
    this.suppressed = new Map();
    return drained;
  }
}
