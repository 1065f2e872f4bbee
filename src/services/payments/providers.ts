import { createHmac, timingSafeEqual } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../../config';
import { PaymentProviderName, ProviderRecordKind } from '../../entities';

/** A verified webhook event, in the provider-neutral shape the payment service applies. */
export interface PaymentWebhookEvent {
  eventId: string;
  type: 'payment.succeeded' | 'payment.failed';
  /** Global ID of our Payment. */
  paymentId: string;
  /** What the provider says it charged, in minor units, when the event says (reconciliation compares it). */
  amountMinor?: number;
}

/**
 * What a provider call may use besides its arguments: a database handle outside any transaction
 * of ours (only the mock providers use it, to keep their own books) and the business clock's time.
 */
export interface ProviderIo {
  em: EntityManager;
  now: Date;
}

/** A webhook the provider did not sign, or that does not parse: the HTTP status to answer. */
export class WebhookRejected extends Error {
  constructor(
    readonly status: 400 | 401,
    message: string,
  ) {
    super(message);
  }
}

/**
 * What the payment service needs from a payment provider. To add one (WeChat Pay, Alipay …):
 * implement this interface, add its name to PaymentProviderName, and register it in
 * `paymentProvider` below; its webhooks arrive at `POST /webhooks/payments/<name in lower case>`.
 * Calls that reach the provider run outside database transactions (payments are opened after
 * the payment row commits; refunds are sent by the `refunds` job).
 */
export interface PaymentProvider {
  readonly name: PaymentProviderName;
  /**
   * Opens a payment with the provider and returns its reference. `id` (our payment's key) is the
   * idempotency key: a second call with the same id — the buyer's retry, or the `repair-payments`
   * task after a crash — returns the same reference and opens nothing new.
   */
  createPayment(payment: { id: string; amount: number; currency: string }, io: ProviderIo): Promise<{ reference: string }>;
  /**
   * Sends money back; `settled` is false when the provider confirms later by webhook. `id` (our
   * refund's key) is the idempotency key: a resend after a crash returns the same reference.
   */
  refund(refund: { id: string; paymentReference: string; amount: number; currency: string }, io: ProviderIo): Promise<{ reference: string; settled: boolean }>;
  /** Verifies the signature on the raw body and parses the event; throws WebhookRejected otherwise. */
  parseWebhook(rawBody: Buffer, headers: Record<string, string | string[] | undefined>): PaymentWebhookEvent;
  /**
   * The provider's own record of a verified event (the mock keeps its books here; a real provider
   * has its own and does nothing).
   */
  recordEvent(event: PaymentWebhookEvent, paymentKey: string, io: ProviderIo): Promise<void>;
}

/**
 * Signs and verifies webhook bodies the way both mock providers do: `X-Signature: sha256=<hex
 * HMAC-SHA256 of the raw body>` with the provider's secret, compared in constant time, then parses
 * the JSON body. Throws WebhookRejected (401 bad signature, 400 not JSON).
 */
export class WebhookSigner {
  constructor(private readonly secret: string) {}

  sign(rawBody: Buffer | string): string {
    return `sha256=${createHmac('sha256', this.secret).update(rawBody).digest('hex')}`;
  }

  verify(rawBody: Buffer, headers: Record<string, string | string[] | undefined>): Record<string, unknown> {
    const header = headers['x-signature'];
    const given = Buffer.from(typeof header === 'string' ? header : '');
    const expected = Buffer.from(this.sign(rawBody));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new WebhookRejected(401, 'bad signature');
    let body: unknown;
    try {
      body = JSON.parse(rawBody.toString('utf8'));
    } catch {
      throw new WebhookRejected(400, 'body is not JSON');
    }
    return (body !== null && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  }
}

/** A provider's event id: 1–200 printable ASCII characters. */
export const EVENT_ID = /^[\x21-\x7e]{1,200}$/;

/**
 * Writes one row of a mock provider's own books (`mock_provider_record`), once per kind and
 * reference: a repeated call (an idempotent retry) changes nothing.
 */
export async function recordAtMock(io: ProviderIo, row: { kind: ProviderRecordKind; reference: string; amount: number; status: 'OPEN' | 'DONE' | 'FAILED' }): Promise<void> {
  await io.em.execute('insert into mock_provider_record (kind, reference, amount, status, at) values (?, ?, ?, ?, ?) on conflict (kind, reference) do nothing', [
    row.kind,
    row.reference,
    row.amount,
    row.status,
    io.now,
  ]);
}

/**
 * Moves a mock provider's record of `reference` from OPEN to `status`, at `io.now`; a FAILED one
 * may still become DONE (a success after a failure: the provider took the money after all).
 */
export async function settleAtMock(io: ProviderIo, kind: ProviderRecordKind, reference: string, status: 'DONE' | 'FAILED', amount?: number): Promise<void> {
  await io.em.execute("update mock_provider_record set status = ?, at = ?, amount = coalesce(?, amount) where kind = ? and reference = ? and (status = 'OPEN' or (status = 'FAILED' and ?::text = 'DONE'))", [
    status,
    io.now,
    amount ?? null,
    kind,
    reference,
    status,
  ]);
}

const EVENT_TYPES = new Set(['payment.succeeded', 'payment.failed']);

/**
 * The mock provider: payments settle when someone posts a signed event to the webhook, as a real
 * provider's would (`X-Signature: sha256=<hex HMAC-SHA256 of the raw body>` with
 * PAYMENT_WEBHOOK_SECRET). Refunds settle at once. It keeps its own books in
 * `mock_provider_record` — payments opened, charges (from its succeeded events, at the amount the
 * event names, else the amount opened) and refunds — which `reconciliation` checks ours against.
 */
export class MockPaymentProvider implements PaymentProvider {
  readonly name = PaymentProviderName.MOCK;
  private readonly signer: WebhookSigner;
  constructor(secret: string) {
    this.signer = new WebhookSigner(secret);
  }

  /** Idempotent as the interface requires: the reference is a function of the payment's id alone. */
  async createPayment(payment: { id: string; amount: number }, io: ProviderIo): Promise<{ reference: string }> {
    const reference = mockPaymentReference(payment.id);
    await recordAtMock(io, { kind: ProviderRecordKind.CHARGE, reference, amount: payment.amount, status: 'OPEN' });
    return { reference };
  }

  async refund(refund: { id: string; amount: number }, io: ProviderIo): Promise<{ reference: string; settled: boolean }> {
    const reference = `mock_refund_${refund.id}`;
    await recordAtMock(io, { kind: ProviderRecordKind.REFUND, reference, amount: refund.amount, status: 'DONE' });
    return { reference, settled: true };
  }

  sign(rawBody: Buffer | string): string {
    return this.signer.sign(rawBody);
  }

  parseWebhook(rawBody: Buffer, headers: Record<string, string | string[] | undefined>): PaymentWebhookEvent {
    const { eventId, type, paymentId, amountMinor } = this.signer.verify(rawBody, headers);
    if (
      typeof eventId !== 'string' || !EVENT_ID.test(eventId) || typeof type !== 'string' || !EVENT_TYPES.has(type) || typeof paymentId !== 'string' ||
      (amountMinor !== undefined && !(Number.isSafeInteger(amountMinor) && (amountMinor as number) >= 0))
    ) {
      throw new WebhookRejected(400, 'expected {eventId, type: payment.succeeded|payment.failed, paymentId, amountMinor?}');
    }
    return { eventId, type: type as PaymentWebhookEvent['type'], paymentId, ...(amountMinor === undefined ? {} : { amountMinor: amountMinor as number }) };
  }

  async recordEvent(event: PaymentWebhookEvent, paymentKey: string, io: ProviderIo): Promise<void> {
    await settleAtMock(io, ProviderRecordKind.CHARGE, mockPaymentReference(paymentKey), event.type === 'payment.succeeded' ? 'DONE' : 'FAILED', event.amountMinor);
  }
}

/** The mock's reference for our payment with key `paymentKey`. */
export function mockPaymentReference(paymentKey: string): string {
  return `mock_pay_${paymentKey}`;
}

const cache = new WeakMap<Config, Map<PaymentProviderName, PaymentProvider>>();

/** The provider named `name`, configured from `config`. */
export function paymentProvider(config: Config, name: PaymentProviderName): PaymentProvider {
  let providers = cache.get(config);
  if (!providers) {
    providers = new Map([[PaymentProviderName.MOCK, new MockPaymentProvider(config.paymentWebhookSecret)]]);
    cache.set(config, providers);
  }
  return providers.get(name)!;
}
