import { randomUUID } from 'node:crypto';
import { Address, User } from '../../src/entities';
import { toGlobalId } from '../../src/schema/shared/globalId';
import { MockPayoutProvider } from '../../src/services/money';
import { MockPaymentProvider } from '../../src/services/payments';
import type { TestApp } from './app';
import { keyOf } from './kit';

export const CHECKOUT = `mutation($input: CheckoutInput!, $key: String!) { checkout(input: $input, idempotencyKey: $key) {
  checkout { id status expiresAt total { amount amountMinor } orders { id number status subtotal { amountMinor } shippingFee { amountMinor } discountTotal { amountMinor } total { amountMinor }
    shop { id } lines { productTitle sku quantity unitPrice { amountMinor } lineTotal { amountMinor } } shippingAddress { province recipientName } } }
  errors { code field message } } }`;
export const PAY = `mutation($input: PayCheckoutInput!) { payCheckout(input: $input) { payment { id status amount { amountMinor } } errors { code field } } }`;
export const ORDER = `query($id: ID!) { order(id: $id) { id number status paidAt total { amountMinor } events { type status note } shipments { carrier trackingNumber } refunds { status amount { amountMinor } } } }`;

/** An address in the user's book (straight in the database); returns its global ID. */
export async function addressFor(t: TestApp, userId: string, province = '浙江省'): Promise<string> {
  const em = t.orm.em.fork();
  const address = em.create(Address, {
    user: em.getReference(User, userId),
    recipientName: '王小明',
    phone: '13812345678',
    province,
    city: '杭州市',
    district: '西湖區',
    line1: '文三路 100 號',
    isDefault: true,
  });
  await em.flush();
  return toGlobalId('Address', address.id);
}

/** The live variant keys of a product, in order. */
export async function variantKeys(t: TestApp, productId: string): Promise<string[]> {
  const rows = await t.sql('select id from product_variant where product_id = ? and not archived order by position, id', [keyOf(productId)]);
  return rows.map((r) => String(r.id));
}

/** Puts a variant in the user's cart (straight in the database); returns the line's global ID. */
export async function cartLine(t: TestApp, userId: string, variantKey: string, quantity: number): Promise<string> {
  const [row] = await t.sql(
    'insert into cart_line (user_id, variant_id, quantity, created_at, updated_at) values (?, ?, ?, now(), now()) on conflict (user_id, variant_id) do update set quantity = excluded.quantity returning id',
    [userId, variantKey, quantity],
  );
  return toGlobalId('CartLine', String(row.id));
}

export const newKey = () => randomUUID();

/** Posts a body to a mock provider's webhook, signed by `provider` unless `signature` is given. */
function postSigned(t: TestApp, url: string, provider: { sign(body: string): string }, event: Record<string, unknown> | string, signature?: string) {
  const body = typeof event === 'string' ? event : JSON.stringify(event);
  return t.app.http.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json', 'x-signature': signature ?? provider.sign(body) },
    payload: body,
  });
}

/** Posts a payment event to the mock webhook, signed unless `signature` is given. */
export function webhook(t: TestApp, event: Record<string, unknown> | string, signature?: string) {
  return postSigned(t, '/webhooks/payments/mock', new MockPaymentProvider(t.config.paymentWebhookSecret), event, signature);
}

/** Posts a payout event to the mock payout webhook, signed with PAYOUT_WEBHOOK_SECRET unless `signature` is given. */
export function payoutWebhook(t: TestApp, event: Record<string, unknown> | string, signature?: string) {
  return postSigned(t, '/webhooks/payouts/mock', new MockPayoutProvider(t.config.payoutWebhookSecret), event, signature);
}

export async function stockOf(t: TestApp, variantKey: string): Promise<{ on_hand: number; reserved: number }> {
  const [row] = await t.sql('select on_hand, reserved from product_variant where id = ?', [variantKey]);
  return row;
}
