/** The order webhook of Dropea's documentation (test/fixtures/dropea), as the suites' sample. */
export const SAMPLE_ORDER = Object.freeze({
  topic: 'order:status_update',
  order_id: 265494,
  prev_status: 'confirmed',
  new_status: 'cancelled',
  updated_at: '2025-05-29 14:14:58',
});

/** The sample order about entity `id`, as JSON, with any members added or replaced. */
export function orderBody(id: number | string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ ...SAMPLE_ORDER, order_id: id, ...extra });
}
