import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Config } from '../../config';
import { PaymentProviderName } from '../../entities';

/** A verified webhook event, in the provider-neutral shape the payment service applies. */
export interface PaymentWebhookEvent {
  eventId: string;
  type: 'payment.succeeded' | 'payment.failed';
  /** Global ID of our Payment. */
  paymentId: string;
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
  createPayment(payment: { id: string; amount: number; currency: string }): Promise<{ reference: string }>;
  /** Sends money back; `settled` is false when the provider confirms later by webhook. */
  refund(refund: { id: string; paymentReference: string; amount: number; currency: string }): Promise<{ reference: string; settled: boolean }>;
  /** Verifies the signature on the raw body and parses the event; throws WebhookRejected otherwise. */
  parseWebhook(rawBody: Buffer, headers: Record<string, string | string[] | undefined>): PaymentWebhookEvent;
}

const EVENT_TYPES = new Set(['payment.succeeded', 'payment.failed']);

/**
 * The mock provider: payments settle when someone posts a signed event to the webhook, as a real
 * provider's would. `X-Signature: sha256=<hex HMAC-SHA256 of the raw body>` with
 * PAYMENT_WEBHOOK_SECRET, compared in constant time. Refunds settle at once.
 */
export class MockPaymentProvider implements PaymentProvider {
  readonly name = PaymentProviderName.MOCK;
  constructor(private readonly secret: string) {}

  /** Idempotent as the interface requires: the reference is a function of the payment's id alone. */
  async createPayment(payment: { id: string }): Promise<{ reference: string }> {
    return { reference: `mock_pay_${payment.id}` };
  }

  async refund(refund: { id: string }): Promise<{ reference: string; settled: boolean }> {
    return { reference: `mock_refund_${refund.id}`, settled: true };
  }

  sign(rawBody: Buffer | string): string {
    return `sha256=${createHmac('sha256', this.secret).update(rawBody).digest('hex')}`;
  }

  parseWebhook(rawBody: Buffer, headers: Record<string, string | string[] | undefined>): PaymentWebhookEvent {
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
    const { eventId, type, paymentId } = (body ?? {}) as Record<string, unknown>;
    if (typeof eventId !== 'string' || !/^[\x21-\x7e]{1,200}$/.test(eventId) || typeof type !== 'string' || !EVENT_TYPES.has(type) || typeof paymentId !== 'string') {
      throw new WebhookRejected(400, 'expected {eventId, type: payment.succeeded|payment.failed, paymentId}');
    }
    return { eventId, type: type as PaymentWebhookEvent['type'], paymentId };
  }
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
