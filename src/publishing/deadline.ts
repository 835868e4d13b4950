/**
 * Resolves like `work`, or rejects with `onTimeout()` once `ms` have passed. The work goes on
 * regardless (a produce request cannot be recalled); its late failure is observed here so it
 * never surfaces as an unhandled rejection.
 */
export function withDeadline<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  work.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
