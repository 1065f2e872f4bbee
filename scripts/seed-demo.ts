/** `npm run seed:demo`: fills the database with demo data for trying the API. Safe to run again. */
import { DEMO_PASSWORD, DEMO_USERS, seedDemo } from '../src/seeds/demo';
import { run, withDatabase } from './cli';

run(() =>
  withDatabase(async (orm) => {
    const result = await seedDemo(orm.em.fork());
    console.log(`seeded ${result.users} users, ${result.categories} categories, ${result.shops} new shops; every demo password is "${DEMO_PASSWORD}":`);
    for (const u of DEMO_USERS) console.log(`  ${u.email.padEnd(30)} ${u.roles.join(',') || 'no staff role'}`);
    console.log('shops: blue-sea-digital (ACTIVE, merchant@ owner, operator@ operator), fresh-frozen (ONBOARDING, newshop@),');
    console.log('       silk-road-fashion (SUSPENDED), old-town-books (CLOSED); applications in every status (applicant-*@).');
  }),
);
