/** Small real source files the index and benchmark tests search: one TypeScript, one Python. */

export const BILLING_TS = `import Stripe from 'stripe';

export function initStripeClient(apiKey: string): Stripe {
  return new Stripe(apiKey, { apiVersion: '2024-06-20' });
}

export async function retryFailedWebhook(eventId: string, attempts = 3): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (await deliverWebhook(eventId)) return;
  }
}

async function deliverWebhook(eventId: string): Promise<boolean> {
  return eventId.length > 0;
}
`;

export const UTIL_PY = `def parse_config_file(path):
    with open(path) as handle:
        return handle.read()


def slugify_title(title):
    return title.lower().replace(' ', '-')
`;
