/** `npm run seed:demo`: fills the database with demo data for trying the API. Safe to run again. */
import { DEMO_PASSWORD, DEMO_USERS, seedDemo } from '../src/seeds/demo';
import { run, withDatabase } from './cli';

run(() =>
  withDatabase(async (orm) => {
    const result = await seedDemo(orm.em.fork());
    console.log(`seeded ${result.users} users; every demo password is "${DEMO_PASSWORD}":`);
    for (const u of DEMO_USERS) console.log(`  ${u.email.padEnd(22)} ${u.roles.join(',') || 'shopper'}`);
  }),
);
