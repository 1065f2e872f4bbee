import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config';
import { StaffRole } from '../../src/entities';
import { toGlobalId } from '../../src/schema/shared/globalId';
import { nextRunAfter, runTask, SCHEDULED_TASKS, type ScheduledTaskDefinition } from '../../src/services/platform';
import { ManualClock } from '../../src/services/shared';
import { type GqlResult, type TestApp, createTestApp } from '../helpers/app';
import { addressFor, CHECKOUT, cartLine, newKey, PAY, stockOf, variantKeys, webhook } from '../helpers/buying';
import { keyOf } from '../helpers/kit';
import { listedProduct, productInput, type Seller, seller, staff } from '../helpers/catalog';
import { createCategory, userWithToken } from '../helpers/factories';

const MINUTE = 60_000;
const clock = new ManualClock(new Date('2026-11-23T02:00:30Z'));

const TASKS = `{ scheduledTasks { name description schedule lastRunAt lastResult nextRunAt } }`;
const RUN = `mutation($input: RunScheduledTaskInput!) { runScheduledTask(input: $input) { task { name schedule lastRunAt lastResult nextRunAt } errors { code field message } } }`;
const SHIP = `mutation($input: ShipOrderInput!) { shipOrder(input: $input) { order { id status } errors { code field } } }`;

let t: TestApp;
let admin: { token: string; user: { id: string } };
let operations: { token: string };
let reviewer: { token: string };
let shop: Seller;
let categoryId: string;

beforeAll(async () => {
  // The after-sales and auto-confirm periods are 0: the next run of their task moves an order on.
  t = await createTestApp({ CHECKOUT_TTL_MINUTES: '30', AUTO_CONFIRM_DAYS: '0', AFTER_SALES_DAYS: '0' }, { clock });
  admin = await staff(t, StaffRole.ADMIN);
  operations = await staff(t, StaffRole.OPERATIONS);
  reviewer = await staff(t, StaffRole.REVIEWER);
  shop = await seller(t);
  categoryId = toGlobalId('Category', (await createCategory(t)).id);
});
afterAll(() => t.close());

/** A listed product of `shop` with one variant of `stock` units; returns the variant key. */
async function variantWith(stock: number): Promise<string> {
  const sku = `V-${Math.random().toString(36).slice(2, 10)}`;
  const id = await listedProduct(t, shop, reviewer.token, productInput(shop.shopId, categoryId, { variants: [{ sku, title: 'Only', options: [], price: '100.00', stockOnHand: stock }] }));
  return (await variantKeys(t, id))[0];
}

/** A new buyer's unpaid order of `quantity` units of `variant`. */
async function placed(variant: string, quantity = 1) {
  const { user, token } = await userWithToken(t);
  const addressId = await addressFor(t, user.id);
  await cartLine(t, user.id, variant, quantity);
  const res = await t.gql(CHECKOUT, { input: { addressId }, key: newKey() }, { token });
  expect(res.data!.checkout.errors).toEqual([]);
  const checkout = res.data!.checkout.checkout;
  return { id: checkout.orders[0].id as string, key: keyOf(checkout.orders[0].id), checkoutId: checkout.id as string, token };
}

const run = (name: string, token?: string) => t.gql(RUN, { input: { name } }, { token });

/** The payload of a run that succeeded. */
function ran(res: GqlResult) {
  expect(res.errors).toBeUndefined();
  expect(res.data!.runScheduledTask.errors).toEqual([]);
  return res.data!.runScheduledTask.task;
}

const doneOf = (task: { lastResult: string }) => Number(/^done: (\d+)$/.exec(task.lastResult)![1]);

async function orderState(key: string) {
  return {
    order: (await t.sql('select status, cancelled_at, cancel_reason from orders where id = ?', [key]))[0],
    events: await t.sql('select type, status from order_event where order_id = ? order by id', [key]),
    moves: await t.sql('select reason, delta_on_hand, delta_reserved from stock_movement where order_id = ? order by id', [key]),
    checkout: (await t.sql('select c.status from checkout c join orders o on o.checkout_id = c.id where o.id = ?', [key]))[0],
  };
}

/** The next whole minute strictly after `now`: the next tick of `* * * * *`. */
const nextMinute = (now: Date) => new Date(Math.floor(now.getTime() / MINUTE) * MINUTE + MINUTE).toISOString();

describe('scheduledTasks', () => {
  it('lists every registered task with its schedule and next run, to ADMIN and OPERATIONS', async () => {
    for (const token of [admin.token, operations.token]) {
      const res = await t.gql(TASKS, {}, { token });
      expect(res.errors).toBeUndefined();
      const tasks = res.data!.scheduledTasks;
      expect(tasks.map((task: { name: string }) => task.name)).toEqual(SCHEDULED_TASKS.map((task) => task.name));
      expect(tasks.map((task: { name: string }) => task.name)).toEqual(
        expect.arrayContaining(['expire-checkouts', 'auto-confirm-deliveries', 'complete-orders', 'send-refunds', 'close-settlements', 'send-payouts', 'ticket-sla', 'purge-rate-limits']),
      );
      for (const task of tasks) {
        expect(task.name).toMatch(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/);
        expect(task.description).not.toBe('');
        const schedule = SCHEDULED_TASKS.find((d) => d.name === task.name)!.schedule;
        expect(task).toMatchObject({ schedule, nextRunAt: nextRunAfter(schedule, clock.now()).toISOString() });
      }
    }
  });

  it('is FORBIDDEN to other staff roles and to shoppers, and UNAUTHENTICATED without a token', async () => {
    for (const roles of [[StaffRole.REVIEWER], [StaffRole.CUSTOMER_SERVICE], [StaffRole.RISK], [StaffRole.FINANCE], [StaffRole.ANALYST], []]) {
      const caller = await userWithToken(t, { roles });
      const res = await t.gql(TASKS, {}, { token: caller.token });
      expect(res.errors?.[0].extensions?.code, `roles ${roles.join(',') || 'none'}`).toBe('FORBIDDEN');
      expect(res.data).toBeNull();
    }
    expect((await t.gql(TASKS)).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('runScheduledTask', () => {
  it('expires an unpaid checkout once the business clock passes its expiry, and records and audits the run', async () => {
    const variant = await variantWith(5);
    const order = await placed(variant, 2);
    expect(await stockOf(t, variant)).toEqual({ on_hand: 5, reserved: 2 });

    const early = ran(await run('expire-checkouts', admin.token));
    expect(early).toEqual({ name: 'expire-checkouts', schedule: '* * * * *', lastRunAt: clock.now().toISOString(), lastResult: 'done: 0', nextRunAt: nextMinute(clock.now()) });
    expect((await orderState(order.key)).order.status).toBe('PENDING_PAYMENT');

    clock.advance(31 * MINUTE);
    const res = await run('expire-checkouts', admin.token);
    expect(ran(res)).toEqual({ name: 'expire-checkouts', schedule: '* * * * *', lastRunAt: clock.now().toISOString(), lastResult: 'done: 1', nextRunAt: nextMinute(clock.now()) });
    const after = await orderState(order.key);
    expect(after.order.status).toBe('CANCELLED');
    expect(after.checkout.status).toBe('EXPIRED');
    expect(await stockOf(t, variant)).toEqual({ on_hand: 5, reserved: 0 });

    // Every process and every member of staff sees the run.
    const listed = (await t.gql(TASKS, {}, { token: operations.token })).data!.scheduledTasks.find((task: { name: string }) => task.name === 'expire-checkouts');
    expect(listed).toMatchObject({ lastRunAt: clock.now().toISOString(), lastResult: 'done: 1' });

    const [entry] = await t.sql("select * from audit_entry where action = 'scheduledTask.run' order by id desc limit 1");
    expect(entry).toMatchObject({ target_type: 'ScheduledTask', target_id: 'expire-checkouts', after: { lastRunAt: clock.now().toISOString(), result: 'done: 1' } });
    expect(String(entry.actor_id)).toBe(admin.user.id);
    expect(entry.request_id).toBe(res.headers['x-request-id']);
  });

  it('changes nothing when run twice in a row', async () => {
    const variant = await variantWith(5);
    const order = await placed(variant, 3);
    clock.advance(31 * MINUTE);
    expect(ran(await run('expire-checkouts', admin.token)).lastResult).toBe('done: 1');
    const once = { order: await orderState(order.key), stock: await stockOf(t, variant) };
    expect(once.order.order.status).toBe('CANCELLED');
    expect(once.stock).toEqual({ on_hand: 5, reserved: 0 });

    expect(ran(await run('expire-checkouts', admin.token)).lastResult).toBe('done: 0');
    expect({ order: await orderState(order.key), stock: await stockOf(t, variant) }).toEqual(once);
    for (const name of SCHEDULED_TASKS.map((task) => task.name)) {
      ran(await run(name, admin.token));
      expect(ran(await run(name, admin.token)).lastResult, name).toBe('done: 0');
    }
  });

  it('moves a shipped order to DELIVERED and COMPLETED at the next runs when AUTO_CONFIRM_DAYS and AFTER_SALES_DAYS are 0', async () => {
    const variant = await variantWith(5);
    const order = await placed(variant);
    const pay = await t.gql(PAY, { input: { checkoutId: order.checkoutId, provider: 'MOCK' } }, { token: order.token });
    expect(pay.data!.payCheckout.errors).toEqual([]);
    expect((await webhook(t, { eventId: newKey(), type: 'payment.succeeded', paymentId: pay.data!.payCheckout.payment.id })).statusCode).toBe(200);
    const shipped = await t.gql(SHIP, { input: { orderId: order.id, carrier: 'SF Express', trackingNumber: 'SF1234567890' } }, { token: shop.owner.token });
    expect(shipped.data!.shipOrder.errors).toEqual([]);
    expect((await orderState(order.key)).order.status).toBe('SHIPPED');

    expect(ran(await run('auto-confirm-deliveries', admin.token)).lastResult).toBe('done: 1');
    expect((await orderState(order.key)).order.status).toBe('DELIVERED');
    expect(ran(await run('complete-orders', admin.token)).lastResult).toBe('done: 1');
    expect((await orderState(order.key)).order.status).toBe('COMPLETED');
    expect(ran(await run('complete-orders', admin.token)).lastResult).toBe('done: 0');
  });

  it('answers TASK_NOT_FOUND for an unknown name and records nothing', async () => {
    const before = {
      states: await t.sql('select * from scheduled_task_state order by name'),
      audits: await t.sql("select count(*)::int as n from audit_entry where action = 'scheduledTask.run'"),
    };
    for (const name of ['no-such-task', '', 'Expire-Checkouts']) {
      const res = await run(name, admin.token);
      expect(res.errors).toBeUndefined();
      expect(res.data!.runScheduledTask).toEqual({ task: null, errors: [{ code: 'TASK_NOT_FOUND', field: ['input', 'name'], message: expect.any(String) }] });
    }
    expect({
      states: await t.sql('select * from scheduled_task_state order by name'),
      audits: await t.sql("select count(*)::int as n from audit_entry where action = 'scheduledTask.run'"),
    }).toEqual(before);
  });

  it('is FORBIDDEN to OPERATIONS and other non-admins, UNAUTHENTICATED without a token, and runs nothing', async () => {
    const variant = await variantWith(5);
    const order = await placed(variant);
    clock.advance(31 * MINUTE);
    const [state] = await t.sql("select * from scheduled_task_state where name = 'expire-checkouts'");
    for (const roles of [[StaffRole.OPERATIONS], [StaffRole.RISK], []]) {
      const caller = await userWithToken(t, { roles });
      const res = await run('expire-checkouts', caller.token);
      expect(res.errors?.[0].extensions?.code, `roles ${roles.join(',') || 'none'}`).toBe('FORBIDDEN');
      expect(res.data).toBeNull();
    }
    expect((await run('expire-checkouts')).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect((await orderState(order.key)).order.status).toBe('PENDING_PAYMENT');
    expect(await t.sql("select * from scheduled_task_state where name = 'expire-checkouts'")).toEqual([state]);
    // Leave nothing due for the next tests.
    expect(ran(await run('expire-checkouts', admin.token)).lastResult).toBe('done: 1');
  });

  it('serialises concurrent runs of one task: every due checkout expires exactly once', async () => {
    const variant = await variantWith(10);
    const orders = [await placed(variant, 2), await placed(variant, 1), await placed(variant, 3)];
    expect(await stockOf(t, variant)).toEqual({ on_hand: 10, reserved: 6 });
    clock.advance(31 * MINUTE);

    const results = await Promise.all(Array.from({ length: 6 }, () => run('expire-checkouts', admin.token)));
    const done = results.map((res) => doneOf(ran(res)));
    expect(done.reduce((a, b) => a + b, 0)).toBe(3);
    expect(done.filter((n) => n > 0)).toHaveLength(1);

    for (const order of orders) {
      const state = await orderState(order.key);
      expect(state.order.status).toBe('CANCELLED');
      expect(state.events.filter((e: { status: string }) => e.status === 'CANCELLED')).toHaveLength(1);
      expect(state.moves.filter((m: { reason: string }) => m.reason === 'RELEASE')).toHaveLength(1);
    }
    expect(await stockOf(t, variant)).toEqual({ on_hand: 10, reserved: 0 });
  });
});

describe('runTask', () => {
  it('never overlaps two runs of one task, even from different connections', async () => {
    let active = 0;
    let most = 0;
    let runs = 0;
    const probe: ScheduledTaskDefinition = {
      name: 'overlap-probe',
      description: 'Counts runs in progress.',
      schedule: '* * * * *',
      async run() {
        active += 1;
        most = Math.max(most, active);
        await sleep(30);
        active -= 1;
        runs += 1;
        return runs;
      },
    };
    const results = await Promise.all(Array.from({ length: 5 }, () => runTask(t.app.deps, t.orm.em.fork(), probe)));
    expect(most).toBe(1);
    expect(results.map((r) => r.done).sort()).toEqual([1, 2, 3, 4, 5]);
    const [state] = await t.sql("select last_result from scheduled_task_state where name = 'overlap-probe'");
    expect(state.last_result).toBe('done: 5');
  });

  it("records a task's failure as its last result and returns the error", async () => {
    const failing: ScheduledTaskDefinition = {
      name: 'failing-probe',
      description: 'Always fails.',
      schedule: '0 3 * * *',
      run: async () => {
        throw new Error('provider unreachable');
      },
    };
    const result = await runTask(t.app.deps, t.orm.em.fork(), failing);
    expect(result.error?.message).toBe('provider unreachable');
    const [state] = await t.sql("select last_run_at, last_result from scheduled_task_state where name = 'failing-probe'");
    expect(state.last_result).toBe('failed: provider unreachable');
    expect(new Date(state.last_run_at)).toEqual(clock.now());
  });
});

describe('periods that tests shorten', () => {
  const periods = (env: Record<string, string>) => loadConfig({ NODE_ENV: 'test', ...env }, '/tmp').orders;

  it('accept 0 for CHECKOUT_TTL_MINUTES, AUTO_CONFIRM_DAYS and AFTER_SALES_DAYS', () => {
    expect(periods({ CHECKOUT_TTL_MINUTES: '0', AUTO_CONFIRM_DAYS: '0', AFTER_SALES_DAYS: '0' })).toEqual({ checkoutTtlMinutes: 0, autoConfirmDays: 0, afterSalesDays: 0 });
    expect(periods({})).toEqual({ checkoutTtlMinutes: 30, autoConfirmDays: 10, afterSalesDays: 7 });
  });

  it.each(['CHECKOUT_TTL_MINUTES', 'AUTO_CONFIRM_DAYS', 'AFTER_SALES_DAYS'])('refuses a negative or fractional %s, naming it', (name) => {
    for (const value of ['-1', '1.5']) {
      let problems: string[] = [];
      try {
        periods({ [name]: value });
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        problems = (err as ConfigError).problems;
      }
      expect(problems).toEqual([expect.stringContaining(name)]);
    }
  });
});
