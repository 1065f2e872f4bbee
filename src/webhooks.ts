import type { MikroORM } from '@mikro-orm/postgresql';
import type { FastifyInstance } from 'fastify';
import type { SystemDeps } from './context';
import { isBigintKey } from './db/keyset';
import { PaymentProviderName, PayoutProviderName } from './entities';
import { parseGlobalId } from './schema/shared/globalId';
import { payoutProvider, receivePayoutEvent } from './services/money';
import { paymentProvider, receivePaymentEvent, WebhookRejected } from './services/payments';

type Headers = Record<string, string | string[] | undefined>;

/** One provider webhook: how to verify and parse its events, whose object they name, and how to apply them. */
interface WebhookRoute<P extends string, E extends { eventId: string; type: string }> {
  /** `payment` or `payout`: the route is `POST /webhooks/<what>s/<provider>`, and log lines say it. */
  what: string;
  /** Provider names in lower case (the URL segment) to the provider. */
  providers: Map<string, P>;
  /** The global ID type the events name. */
  objectType: string;
  /** Verifies and parses the raw body; throws WebhookRejected. */
  parse(provider: P, raw: Buffer, headers: Headers): E;
  /** The event's object id (a global ID of ours). */
  objectId(event: E): string;
  /** Applies the event to the object with database key `key`; 'unknown' answers 404. */
  apply(provider: P, event: E, key: string): Promise<string>;
}

/** Lower-case URL segment → provider name. */
const namesOf = <P extends string>(names: P[]) => new Map(names.map((name) => [name.toLowerCase(), name]));

/** The database key inside `globalId` when it is an ID of `type`, or null for anything else. */
function keyOf(globalId: string, type: string): string | null {
  const parsed = parseGlobalId(globalId);
  return parsed?.type === type && isBigintKey(parsed.key) ? parsed.key : null;
}

/**
 * Registers `POST /webhooks/<what>s/:provider`: the provider verifies the signature on the raw body,
 * then the event is applied once. Bad signature 401 (nothing changes), malformed 400, unknown
 * provider or object 404, processed or replayed 200 with `{ ok: true, outcome }`.
 */
function webhookRoute<P extends string, E extends { eventId: string; type: string }>(http: FastifyInstance, route: WebhookRoute<P, E>): void {
  http.post<{ Params: { provider: string } }>(`/webhooks/${route.what}s/:provider`, async (request, reply) => {
    const name = route.providers.get(request.params.provider);
    if (!name) return reply.code(404).send({ error: 'unknown provider' });
    const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    let event: E;
    try {
      event = route.parse(name, raw, request.headers);
    } catch (err) {
      if (err instanceof WebhookRejected) {
        request.log.warn({ provider: name, reason: err.message }, `${route.what} webhook rejected`);
        return reply.code(err.status).send({ error: err.message });
      }
      throw err;
    }
    const key = keyOf(route.objectId(event), route.objectType);
    const outcome = key === null ? 'unknown' : await route.apply(name, event, key);
    if (outcome === 'unknown') return reply.code(404).send({ error: `unknown ${route.what}` });
    request.log.info({ provider: name, eventId: event.eventId, type: event.type, outcome }, `${route.what} webhook`);
    return reply.code(200).send({ ok: true, outcome });
  });
}

/**
 * The providers' webhooks, in a scope that reads bodies as bytes (signatures are over the raw body):
 * `POST /webhooks/payments/<provider>` and `POST /webhooks/payouts/<provider>`.
 */
export async function webhooks(http: FastifyInstance, opts: { orm: MikroORM; deps: SystemDeps }): Promise<void> {
  const { orm, deps } = opts;
  http.removeAllContentTypeParsers();
  http.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 64 * 1024 }, (_request, body, done) => done(null, body));

  webhookRoute(http, {
    what: 'payment',
    providers: namesOf(Object.values(PaymentProviderName)),
    objectType: 'Payment',
    parse: (name, raw, headers) => paymentProvider(deps.config, name).parseWebhook(raw, headers),
    objectId: (event) => event.paymentId,
    async apply(name, event, key) {
      const outcome = await receivePaymentEvent(deps, orm.em.fork(), name, event, key);
      return outcome === 'unknown-payment' ? 'unknown' : outcome;
    },
  });

  webhookRoute(http, {
    what: 'payout',
    providers: namesOf(Object.values(PayoutProviderName)),
    objectType: 'Payout',
    parse: (name, raw, headers) => payoutProvider(deps.config, name).parseWebhook(raw, headers),
    objectId: (event) => event.payoutId,
    async apply(name, event, key) {
      const outcome = await receivePayoutEvent(deps, orm.em.fork(), name, event, key);
      return outcome === 'unknown-payout' ? 'unknown' : outcome;
    },
  });
}
