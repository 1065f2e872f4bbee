import { randomBytes } from 'node:crypto';
import { Address, User } from '../../src/entities';
import { toGlobalId } from '../../src/schema/shared/globalId';
import type { ManualClock } from '../../src/services/shared';
import type { GqlResult, TestApp } from './app';
import { cartLine, newKey, PAY, webhook } from './buying';
import { createUser, signIn } from './factories';
import { keyOf } from './kit';

/**
 * Risk control of orders in tests: rules set straight in the database, shoppers with their own
 * delivery address and phone (velocity rules count any buyer's checkouts to one), checkouts from a
 * chosen IP and device, and histories written as rows at times relative to the test clock.
 */

export const RISK_FIELDS = 'risk { level score onHold holdReleasedAt reasons { ruleId name kind weight detail } }';

export const CHECKOUT_WITH_RISK = `mutation($input: CheckoutInput!, $key: String!) { checkout(input: $input, idempotencyKey: $key) {
  checkout { id orders { id number status total { amountMinor } } } errors { code field message } } }`;

export interface RuleSpec {
  kind: string;
  weight: number;
  amount?: number;
  count?: number;
  windowHours?: number;
  accountAgeHours?: number;
  name?: string;
}

/** Every rule disabled, then `rules` added enabled (with fresh names); returns their keys. */
export async function onlyRules(t: TestApp, rules: RuleSpec[]): Promise<string[]> {
  await t.sql('update risk_rule set enabled = false');
  const keys: string[] = [];
  for (const r of rules) {
    const [row] = await t.sql(
      'insert into risk_rule (name, kind, weight, enabled, amount, count, window_hours, account_age_hours) values (?, ?, ?, true, ?, ?, ?, ?) returning id',
      [r.name ?? `test ${r.kind} ${randomBytes(4).toString('hex')}`, r.kind, r.weight, r.amount ?? null, r.count ?? null, r.windowHours ?? null, r.accountAgeHours ?? null],
    );
    keys.push(String(row.id));
  }
  return keys;
}

export interface Buyer {
  user: User;
  token: string;
  addressId: string;
}

export interface BuyerSpec {
  phone?: string;
  line1?: string;
  province?: string;
  email?: string;
}

/** A signed-in shopper with a default address of their own: a fresh street (and phone) unless given. */
export async function buyerAt(t: TestApp, spec: BuyerSpec = {}): Promise<Buyer> {
  const user = await createUser(t, spec.email ? { email: spec.email } : {});
  const em = t.orm.em.fork();
  const address = em.create(Address, {
    user: em.getReference(User, user.id),
    recipientName: '王小明',
    phone: spec.phone ?? `139${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`,
    province: spec.province ?? '浙江省',
    city: '杭州市',
    district: '西湖區',
    line1: spec.line1 ?? `文三路 ${randomBytes(4).toString('hex')} 號`,
    isDefault: true,
  });
  await em.flush();
  const { accessToken } = await signIn(t, user.email);
  return { user, token: accessToken, addressId: toGlobalId('Address', address.id) };
}

export interface BuyOptions {
  /** Variant keys and quantities to put in the cart (one line each). */
  lines: { variantKey: string; quantity: number }[];
  ip?: string;
  deviceId?: string;
  key?: string;
}

/** Puts the lines in the buyer's cart (in SQL) and checks out through the API. */
export async function buy(t: TestApp, buyer: Buyer, opts: BuyOptions): Promise<GqlResult> {
  for (const line of opts.lines) await cartLine(t, buyer.user.id, line.variantKey, line.quantity);
  return t.gql(CHECKOUT_WITH_RISK, { input: { addressId: buyer.addressId }, key: opts.key ?? newKey() }, { token: buyer.token, ip: opts.ip, headers: opts.deviceId ? { 'x-device-id': opts.deviceId } : {} });
}

/** A successful checkout's payload (fails the test with the errors otherwise). */
export function placed(res: GqlResult): { id: string; orders: { id: string; number: string; status: string; total: { amountMinor: number } }[] } {
  const payload = res.data?.checkout;
  if (res.errors || !payload?.checkout) throw new Error(`checkout failed: ${JSON.stringify(res.errors ?? payload?.errors)}`);
  return payload.checkout;
}

/** Pays a checkout: payCheckout as its buyer, then the mock provider's signed success webhook. */
export async function pay(t: TestApp, buyer: Buyer, checkoutId: string): Promise<void> {
  const res = await t.gql(PAY, { input: { checkoutId, provider: 'MOCK' } }, { token: buyer.token });
  const payment = res.data?.payCheckout?.payment;
  if (!payment) throw new Error(`payCheckout failed: ${JSON.stringify(res.errors ?? res.data?.payCheckout?.errors)}`);
  const hook = await webhook(t, { eventId: newKey(), type: 'payment.succeeded', paymentId: payment.id });
  if (hook.statusCode !== 200) throw new Error(`webhook answered ${hook.statusCode}: ${hook.body}`);
}

/** The stored risk of an order (by global ID). */
export async function storedRisk(t: TestApp, orderId: string): Promise<{ score: number; level: string; held: boolean; reasons: { ruleId: string; name: string; kind: string; weight: number; detail: string }[] }> {
  const [row] = await t.sql('select risk_score, risk_level, held, risk_reasons from orders where id = ?', [keyOf(orderId)]);
  return { score: row.risk_score, level: row.risk_level, held: row.held, reasons: row.risk_reasons };
}

export interface PastCheckout {
  buyerId: string;
  /** Hours before the test clock's now. */
  hoursAgo: number;
  addressKey?: string | null;
  phoneKey?: string | null;
  deviceId?: string | null;
  ip?: string | null;
}

/** A checkout placed earlier (a bare row, no orders): what velocity rules count. Returns its key. */
export async function pastCheckout(t: TestApp, clock: ManualClock, c: PastCheckout): Promise<string> {
  const at = new Date(clock.now().getTime() - c.hoursAgo * 3_600_000);
  const [row] = await t.sql(
    `insert into checkout (buyer_id, idempotency_key, status, total, expires_at, created_at, updated_at, address_key, phone_key, device_id, ip)
     values (?, ?, 'EXPIRED', 0, ?, ?, ?, ?, ?, ?, ?) returning id`,
    [c.buyerId, `past-${randomBytes(6).toString('hex')}`, at, at, at, c.addressKey ?? null, c.phoneKey ?? null, c.deviceId ?? null, c.ip ?? null],
  );
  return String(row.id);
}

/** A blacklist entry straight in the database (values as stored: normalised). */
export async function blacklist(t: TestApp, kind: string, value: string, action: 'BLOCK' | 'REVIEW' = 'BLOCK', expiresAt: Date | null = null): Promise<string> {
  const [row] = await t.sql('insert into blacklist_entry (kind, value, action, reason, expires_at) values (?, ?, ?, ?, ?) returning id', [kind, value, action, 'test entry', expiresAt]);
  return String(row.id);
}
