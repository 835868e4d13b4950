/** A valid order webhook about entity `id`, as Dropea sends it, with any members added or replaced. */
export function orderBody(id: number | string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ topic: 'order:status_update', order_id: id, prev_status: 'confirmed', new_status: 'cancelled', updated_at: '2025-05-29 14:14:58', ...extra });
}
