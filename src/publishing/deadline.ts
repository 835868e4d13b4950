/** Waits for `work` to settle, but no longer than `ms`; never rejects. */
export async function settledWithin(work: Promise<unknown> | undefined, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  await Promise.race([work?.catch(() => undefined), timeout]);
  clearTimeout(timer);
}

/**
 * Resolves like `work`, or rejects with `onTimeout()` once `ms` have passed. The work goes on
 * regardless (a produce request cannot be recalled); its late failure is observed here (a
 * promise that has already settled ignores it), so it never surfaces as an unhandled rejection.
 * A failure of the work is passed through `mapError` first.
 */
export function withDeadline<T>(work: Promise<T>, ms: number, onTimeout: () => Error, mapError: (error: unknown) => unknown = (error) => error): Promise<T> {
  // One promise and one timer per call (it runs for every webhook), rather than a race of two.
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(onTimeout()), ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(mapError(error));
      },
    );
  });
}
