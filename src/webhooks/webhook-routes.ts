import { WEBHOOK_TOPICS, type WebhookTopic } from '../envelope/envelope.js';

/** The webhook routes of CONTRACT.md §1 and the topics each accepts. */
export const WEBHOOK_ROUTES = {
  '/webhooks/dropea': WEBHOOK_TOPICS,
  '/webhooks/dropea/orders': ['order:status_update'],
  '/webhooks/dropea/incidences': ['incidence:status_update'],
} as const satisfies Record<string, readonly WebhookTopic[]>;

export type WebhookRoute = keyof typeof WEBHOOK_ROUTES;

export function isWebhookRoute(route: string): route is WebhookRoute {
  return Object.hasOwn(WEBHOOK_ROUTES, route);
}
