import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD, seedDemo } from '../src/seeds/demo';
import { type TestApp, createTestApp } from './helpers/app';
import { signIn } from './helpers/factories';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

describe('seed:demo', () => {
  it('creates shops and applications in every status, courses and a category tree, and is safe to run again', async () => {
    await seedDemo(t.orm.em.fork());
    await seedDemo(t.orm.em.fork());
    const sql = (q: string) => t.orm.em.fork().getConnection().execute<{ status: string }[]>(q);
    expect((await sql('select distinct status from shop order by status')).map((r) => r.status)).toEqual(['ACTIVE', 'CLOSED', 'ONBOARDING', 'SUSPENDED']);
    expect((await sql('select distinct status from merchant_application order by status')).map((r) => r.status)).toEqual([
      'APPROVED', 'CHANGES_REQUESTED', 'DRAFT', 'IN_REVIEW', 'REJECTED', 'SUBMITTED',
    ]);
    const [{ count }] = await t.orm.em.fork().getConnection().execute<{ count: number }[]>("select count(*)::int as count from shop where slug = 'blue-sea-digital'");
    expect(count).toBe(1);
    const [{ max }] = await t.orm.em.fork().getConnection().execute<{ max: number }[]>('select max(depth) as max from category');
    expect(max).toBe(2);
  });

  it('lets the demo merchant sign in and see an active shop, and the demo reviewer see the queue', async () => {
    const merchant = await signIn(t, 'merchant@demo.test', DEMO_PASSWORD);
    const shops = await t.gql(`{ myShops { slug status trainingProgress { passed } } }`, {}, { token: merchant.accessToken });
    expect(shops.data!.myShops).toEqual([{ slug: 'blue-sea-digital', status: 'ACTIVE', trainingProgress: [{ passed: true }] }]);
    const admin = await signIn(t, 'admin@demo.test', DEMO_PASSWORD);
    // Staff listing every shop's private fields: a fixed number of queries, however many shops.
    const listed = await t.countQueries(
      `{ nodes(ids: ["U2hvcDox", "U2hvcDoy", "U2hvcDoz", "U2hvcDo0"]) { ... on Shop { slug acceptedAgreementVersion invitations { id } trainingProgress { passed bestScore } members { role user { displayName } } } } }`,
      {},
      { token: admin.accessToken },
    );
    expect(listed.result.errors).toBeUndefined();
    expect(listed.result.data!.nodes.map((n: { acceptedAgreementVersion: string | null }) => n.acceptedAgreementVersion)).toEqual(['2026-11', null, '2026-11', '2026-11']);
    // session, shops, viewer memberships, agreements, invitations, quiz stats, courses, members, users
    expect(listed.queries).toBeLessThanOrEqual(9);
    const reviewer = await signIn(t, 'reviewer@demo.test', DEMO_PASSWORD);
    const queue = await t.gql(`{ merchantApplications(filter: { status: SUBMITTED }) { totalCount } }`, {}, { token: reviewer.accessToken });
    expect(queue.data!.merchantApplications.totalCount).toBe(1);
  });
});
