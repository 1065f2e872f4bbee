import type { Config } from '../../config';
import { PayoutProviderName, ProviderRecordKind } from '../../entities';
// The providers module alone (not the payments index, which reaches the orders domain): the signing
// scheme and the mock's books are shared by both mock providers.
import { EVENT_ID, type ProviderIo, recordAtMock, settleAtMock, WebhookRejected, WebhookSigner } from '../payments/providers';

/** A verified payout webhook event, in the provider-neutral shape the payout service applies. */
export interface PayoutWebhookEvent {
  eventId: string;
  type: 'payout.paid' | 'payout.failed';
  /** Global ID of our Payout. */
  payoutId: string;
  /** Which attempt of the payout the event is about (the provider knows it by the attempt's key); the current one when omitted. */
  attempt?: number;
  /** Why the provider could not pay (payout.failed). */
  reason?: string;
}

/** What a payout provider is asked to send: `id` is the idempotency key of one attempt. */
export interface PayoutRequest {
  /** `payout_<payout key>_<attempt>` (see `payoutIdempotencyKey`). */
  id: string;
  amount: number;
  currency: string;
  shopId: string;
}

/**
 * What the payout service needs from a payout provider. To add one: implement this interface, add
 * its name to PayoutProviderName and register it in `payoutProvider` below; its webhooks arrive at
 * `POST /webhooks/payouts/<name in lower case>`. `sendPayout` runs outside database transactions.
 */
export interface PayoutProvider {
  readonly name: PayoutProviderName;
  /**
   * Hands a payout attempt to the provider and returns its reference. Idempotent by `payout.id`: a
   * second call with the same key (send-payouts after a crash) returns the same reference and pays
   * nothing more.
   */
  sendPayout(payout: PayoutRequest, io: ProviderIo): Promise<{ reference: string }>;
  /** Verifies the signature on the raw body and parses the event; throws WebhookRejected otherwise. */
  parseWebhook(rawBody: Buffer, headers: Record<string, string | string[] | undefined>): PayoutWebhookEvent;
  /**
   * The provider's own record of a verified event about one attempt of the payout: sent with
   * `idempotencyKey`, and known by `reference` once we stored it (the mock keeps its books here; a
   * real provider has its own and does nothing).
   */
  recordEvent(event: PayoutWebhookEvent, attempt: { idempotencyKey: string; reference: string | null }, io: ProviderIo): Promise<void>;
}

/** The idempotency key of a payout's attempt: each attempt is a new transfer, a resend of one is not. */
export function payoutIdempotencyKey(payoutKey: string, attempt: number): string {
  return `payout_${payoutKey}_${attempt}`;
}

const EVENT_TYPES = new Set(['payout.paid', 'payout.failed']);
const MAX_REASON = 500;

/**
 * The mock payout provider: a payout is paid (or fails) when someone posts a signed event to
 * `POST /webhooks/payouts/mock` (`X-Signature: sha256=<hex HMAC-SHA256 of the raw body>` with
 * PAYOUT_WEBHOOK_SECRET), as a real provider's webhook would. Its own books are PAYOUT rows of
 * `mock_provider_record`: OPEN when an attempt is sent, DONE or FAILED by its webhook.
 */
export class MockPayoutProvider implements PayoutProvider {
  readonly name = PayoutProviderName.MOCK;
  private readonly signer: WebhookSigner;
  constructor(secret: string) {
    this.signer = new WebhookSigner(secret);
  }

  /** Idempotent as the interface requires: the reference is a function of the idempotency key alone. */
  async sendPayout(payout: PayoutRequest, io: ProviderIo): Promise<{ reference: string }> {
    const reference = mockPayoutReference(payout.id);
    await recordAtMock(io, { kind: ProviderRecordKind.PAYOUT, reference, amount: payout.amount, status: 'OPEN' });
    return { reference };
  }

  sign(rawBody: Buffer | string): string {
    return this.signer.sign(rawBody);
  }

  parseWebhook(rawBody: Buffer, headers: Record<string, string | string[] | undefined>): PayoutWebhookEvent {
    const { eventId, type, payoutId, reason, attempt } = this.signer.verify(rawBody, headers);
    if (
      typeof eventId !== 'string' || !EVENT_ID.test(eventId) || typeof type !== 'string' || !EVENT_TYPES.has(type) || typeof payoutId !== 'string' ||
      (reason !== undefined && (typeof reason !== 'string' || reason.length > MAX_REASON || reason.includes('\u0000'))) ||
      (attempt !== undefined && !(Number.isSafeInteger(attempt) && (attempt as number) >= 1))
    ) {
      throw new WebhookRejected(400, 'expected {eventId, type: payout.paid|payout.failed, payoutId, attempt?, reason?}');
    }
    return {
      eventId,
      type: type as PayoutWebhookEvent['type'],
      payoutId,
      ...(attempt === undefined ? {} : { attempt: attempt as number }),
      ...(reason === undefined ? {} : { reason }),
    };
  }

  /** By the idempotency key, so an event that outruns our storing the reference still settles the mock's record. */
  async recordEvent(event: PayoutWebhookEvent, attempt: { idempotencyKey: string }, io: ProviderIo): Promise<void> {
    await settleAtMock(io, ProviderRecordKind.PAYOUT, mockPayoutReference(attempt.idempotencyKey), event.type === 'payout.paid' ? 'DONE' : 'FAILED');
  }
}

/** The mock's reference for the attempt sent with `idempotencyKey`. */
export function mockPayoutReference(idempotencyKey: string): string {
  return `mock_${idempotencyKey}`;
}

const cache = new WeakMap<Config, Map<PayoutProviderName, PayoutProvider>>();

/** The payout provider named `name`, configured from `config`. */
export function payoutProvider(config: Config, name: PayoutProviderName): PayoutProvider {
  let providers = cache.get(config);
  if (!providers) {
    providers = new Map([[PayoutProviderName.MOCK, new MockPayoutProvider(config.payoutWebhookSecret)]]);
    cache.set(config, providers);
  }
  return providers.get(name)!;
}
