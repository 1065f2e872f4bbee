/**
 * `npm run staff:create -- --email E --password P --roles ADMIN,REVIEWER [--create-database]`
 * Creates the user (or updates its password and roles) and prints its id. Works while the server
 * runs: on the embedded database it joins the running cluster. A database that does not exist is
 * an error (a mistyped DATABASE_URL must not become a new, empty database holding the admin)
 * unless --create-database asks for it to be created and migrated.
 */
import { parseArgs } from 'node:util';
import { DatabaseMissingError } from '../src/db/postgres';
import { StaffRole } from '../src/entities';
import { upsertStaffUser } from '../src/services/identity';
import { run, withDatabase } from './cli';

run(async () => {
  const { values } = parseArgs({
    options: {
      email: { type: 'string' },
      password: { type: 'string' },
      roles: { type: 'string' },
      name: { type: 'string' },
      'create-database': { type: 'boolean', default: false },
    },
  });
  if (!values.email || !values.password || !values.roles) {
    throw new Error('usage: npm run staff:create -- --email E --password P --roles ADMIN,REVIEWER [--name "Display Name"] [--create-database]');
  }
  const roles = values.roles.split(',').map((r) => r.trim().toUpperCase());
  const unknown = roles.filter((r) => !(r in StaffRole));
  if (unknown.length > 0) throw new Error(`unknown role(s): ${unknown.join(', ')}; roles are ${Object.values(StaffRole).join(', ')}`);
  const createDatabase = values['create-database'];
  await withDatabase({ createDatabase }, async (orm) => {
    const { user, created } = await upsertStaffUser(orm.em.fork(), {
      email: values.email!,
      password: values.password!,
      roles: roles as StaffRole[],
      displayName: values.name,
    });
    console.log(`${created ? 'created' : 'updated'} ${user.email} with roles ${user.staffRoles.join(',')}`);
    console.log(`id: ${user.globalId}`);
  }).catch((err: unknown) => {
    if (err instanceof DatabaseMissingError) {
      throw new Error(`${err.message}. Check DATABASE_URL (or DATA_DIR), or pass --create-database to create it and apply the migrations.`, { cause: err });
    }
    throw err;
  });
});
