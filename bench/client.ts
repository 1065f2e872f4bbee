import { createHmac } from 'node:crypto';

export interface GqlResponse<T = Record<string, unknown>> {
  status: number;
  data?: T;
  errors?: { message: string; extensions?: { code?: string } }[];
  ms: number;
}

/** A GraphQL request body, the same bytes every time a scenario sends it. */
export function gqlBody(query: string, variables: Record<string, unknown> = {}, operationName?: string): string {
  return JSON.stringify({ query, variables, ...(operationName ? { operationName } : {}) });
}

/** One GraphQL operation over HTTP, as a client sends it; `ms` is the round trip. */
export async function gql<T = Record<string, unknown>>(base: string, query: string, variables: Record<string, unknown> = {}, token?: string): Promise<GqlResponse<T>> {
  const started = performance.now();
  const res = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: gqlBody(query, variables),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  const ms = performance.now() - started;
  let body: { data?: T; errors?: GqlResponse['errors'] };
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`HTTP ${res.status} with a body that is not JSON: ${text.slice(0, 300)}`);
  }
  return { status: res.status, data: body.data, errors: body.errors, ms };
}

/** Like gql, but any HTTP error, GraphQL error or payload `errors` entry throws: fixtures must work. */
export async function gqlOk<T = Record<string, unknown>>(base: string, query: string, variables: Record<string, unknown> = {}, token?: string): Promise<T> {
  const res = await gql<T>(base, query, variables, token);
  if (res.status !== 200 || res.errors?.length || !res.data) {
    throw new Error(`GraphQL request failed (HTTP ${res.status}): ${JSON.stringify(res.errors ?? res.data).slice(0, 500)}\n${query.slice(0, 200)}`);
  }
  for (const [field, value] of Object.entries(res.data as Record<string, unknown>)) {
    const errors = (value as { errors?: unknown[] } | null)?.errors;
    if (Array.isArray(errors) && errors.length) throw new Error(`${field} answered errors: ${JSON.stringify(errors)}`);
  }
  return res.data;
}

/** The mock payment provider's webhook, signed as the provider signs it (see MockPaymentProvider.sign). */
export async function paymentWebhook(base: string, secret: string, event: { eventId: string; type: 'payment.succeeded'; paymentId: string }): Promise<{ status: number; body: string; ms: number; answeredAt: number }> {
  const raw = JSON.stringify(event);
  const signature = `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;
  const started = performance.now();
  const res = await fetch(`${base}/webhooks/payments/mock`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-signature': signature },
    body: raw,
    signal: AbortSignal.timeout(30_000),
  });
  const body = await res.text();
  return { status: res.status, body, ms: performance.now() - started, answeredAt: Date.now() };
}
