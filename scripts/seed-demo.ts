/**
 * `npm run seed:demo`: fills the database with demo data for trying the API. Safe to run again.
 * `npm run seed:demo -- --products N` then adds N generated products (benchmark data) on top.
 */
import { parseArgs } from 'node:util';
import { MAX_BULK_PRODUCTS, seedBulkCatalog } from '../src/seeds/bulkCatalog';
import { DEMO_PASSWORD, DEMO_USERS, seedDemo } from '../src/seeds/demo';
import { run, withDatabase } from './cli';

const USAGE = 'usage: npm run seed:demo [-- --products N]';

/** The `--products` count: a whole number from 1 to 1,000,000, or undefined when not asked for. */
function productCount(argv: string[]): number | undefined {
  let values: { products?: string };
  try {
    ({ values } = parseArgs({ args: argv, options: { products: { type: 'string' } }, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n${USAGE}`, { cause: err });
  }
  if (values.products === undefined) return undefined;
  const n = /^\d+$/.test(values.products) ? Number(values.products) : NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_BULK_PRODUCTS) {
    throw new Error(`--products must be a whole number from 1 to ${MAX_BULK_PRODUCTS.toLocaleString('en')} (got "${values.products}")\n${USAGE}`);
  }
  return n;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

run(async () => {
  const products = productCount(process.argv.slice(2));
  await withDatabase({ createDatabase: true }, async (orm) => {
    const started = performance.now();
    const result = await seedDemo(orm.em.fork());
    const { catalog } = result;
    console.log(`seeded ${result.users} users, ${result.categories} categories, ${result.shops} new shops; every demo password is "${DEMO_PASSWORD}":`);
    for (const u of DEMO_USERS) console.log(`  ${u.email.padEnd(30)} ${u.roles.join(',') || 'no staff role'}`);
    console.log('shops: blue-sea-digital (ACTIVE, merchant@ owner, operator@ operator), fresh-frozen (ONBOARDING, newshop@),');
    console.log('       silk-road-fashion (SUSPENDED), old-town-books (CLOSED); applications in every status (applicant-*@).');
    console.log(`orders: ${result.orders} new demo orders of alice@demo.test in every status (blue-sea-digital fulfils most of them)`);
    console.log(`after-sales: ${result.cases} new cases of alice@demo.test with blue-sea-digital in every status (one in the arbitration queue of support@)`);
    console.log(`customer service: ${result.tickets} new tickets with replies (one overdue), and the FAQ`);
    console.log(`reviews: ${result.reviews} new reviews by wang@, li@, zhang@ and chen@ on most products on sale (replies by merchant@, a featured buyer show, two in the moderation queue of ops@); ${result.scorecards} shop scorecards`);
    console.log(`promotions: ${result.promotions} live promotions (blue-sea-digital 滿200減20, a platform 9折 on earphones) and ${result.couponCampaigns} coupon campaigns (code WELCOME2026); alice@ holds two coupons`);
    console.log(`membership: ${result.memberLevels} member levels (普通 → 鑽石) and ${result.members} members at each level above the first (silver@, gold@, platinum@, diamond@: orders completed, points earned; gold@ spent points on a second order and checks in daily); growth tasks`);
    console.log(
      `risk: ${result.risk.blacklistEntries} blacklist entries (spam-mail.test and 203.0.113.0/24 blocked, a watched phone), ${result.risk.heldOrders} held order of mallory@ in the riskQueue of risk@, ` +
        `${result.risk.violations} counterfeit report upheld into a violation (${result.risk.reportedShop ?? 'no shop'} restricted)`,
    );
    console.log(
      `analytics: ${result.events.toLocaleString('en')} new behaviour events (views, searches, add-to-carts, shares over the last 30 days, anonymous and by the demo shoppers); ` +
        `metrics snapshotted ${result.metrics.from} to ${result.metrics.to} (${result.metrics.days} days, ${result.metrics.rows.toLocaleString('en')} rows): sign in as analyst@ or admin@ at /dashboard`,
    );
    console.log(`catalog: ${catalog.brands} new brands, ${catalog.shops} new ACTIVE shops (owners sign in as <shop slug>@demo.test),`);
    console.log(`         ${catalog.products} new products in every status; demo data took ${seconds(performance.now() - started)}.`);
    if (products === undefined) return;

    console.log(`adding ${products.toLocaleString('en')} generated products…`);
    const bulk = await seedBulkCatalog(orm.em.fork(), { products, ownerPassword: DEMO_PASSWORD });
    console.log(
      `added ${bulk.products.toLocaleString('en')} products, ${bulk.variants.toLocaleString('en')} variants, ` +
        `${bulk.stockMovements.toLocaleString('en')} stock movements, ${bulk.statusChanges.toLocaleString('en')} status changes ` +
        `(${bulk.categoriesCreated} new categories, ${bulk.shopsCreated} new shops) in ${seconds(bulk.ms)}, ${bulk.parts} parts side by side:`,
    );
    for (const t of bulk.timings) console.log(`  ${t.step.padEnd(40)} ${seconds(t.ms).padStart(8)}`);
  });
});
