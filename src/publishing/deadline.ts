/**
 * Resolves like `work`, or rejects with `onTimeout()` once `ms` have passed. The work goes on
 * regardless (a produce request cannot be recalled); its late failure is observed here so it
 * never surfaces as an unhandled rejection.
 */
/** Waits for `work` to settle, but no longer than `ms`; never rejects. */
export async function settledWithin(work: Promise<unknown> | undefined, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  await Promise.race([work?.catch(() => undefined), timeout]);
  clearTimeout(timer);
}

export function withDeadline<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  work.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
