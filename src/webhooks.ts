import type { MikroORM } from '@mikro-orm/postgresql';
import type { FastifyInstance } from 'fastify';
import type { SystemDeps } from './context';
import { isBigintKey } from './db/keyset';
import { PaymentProviderName } from './entities';
import { parseGlobalId } from './schema/shared/globalId';
import { applyPaymentEvent, paymentProvider, WebhookRejected } from './services/payments';

const PROVIDERS = new Map(Object.values(PaymentProviderName).map((name) => [name.toLowerCase(), name]));

/** The database key of the event's payment (a global ID of ours), or null for anything else. */
function paymentKeyOf(paymentId: string): string | null {
  const parsed = parseGlobalId(paymentId);
  return parsed?.type === 'Payment' && isBigintKey(parsed.key) ? parsed.key : null;
}

/**
 * `POST /webhooks/payments/<provider>`: the provider verifies the signature on the raw body (so
 * this scope reads bodies as bytes), then the event is applied once. Bad signature 401 (nothing
 * changes), malformed 400, unknown payment 404, processed or replayed 200.
 */
export async function paymentWebhooks(http: FastifyInstance, opts: { orm: MikroORM; deps: SystemDeps }): Promise<void> {
  http.removeAllContentTypeParsers();
  http.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 64 * 1024 }, (_request, body, done) => done(null, body));

  http.post<{ Params: { provider: string } }>('/webhooks/payments/:provider', async (request, reply) => {
    const name = PROVIDERS.get(request.params.provider);
    if (!name) return reply.code(404).send({ error: 'unknown provider' });
    const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    let event;
    try {
      event = paymentProvider(opts.deps.config, name).parseWebhook(raw, request.headers);
    } catch (err) {
      if (err instanceof WebhookRejected) {
        request.log.warn({ provider: name, reason: err.message }, 'payment webhook rejected');
        return reply.code(err.status).send({ error: err.message });
      }
      throw err;
    }
    const paymentKey = paymentKeyOf(event.paymentId);
    const outcome = paymentKey === null ? 'unknown-payment' : await applyPaymentEvent(opts.deps, opts.orm.em.fork(), name, event, paymentKey);
    if (outcome === 'unknown-payment') return reply.code(404).send({ error: 'unknown payment' });
    request.log.info({ provider: name, eventId: event.eventId, type: event.type, outcome }, 'payment webhook');
    return reply.code(200).send({ ok: true, outcome });
  });
}
