import type { EntityManager } from '@mikro-orm/postgresql';
import { StaffRole } from '../entities';
import { upsertStaffUser } from '../services/staff';

export const DEMO_PASSWORD = 'demo-password-2026';

/** Demo people: one account per staff role, and a few shoppers. Idempotent: re-running updates them. */
export const DEMO_USERS: { email: string; displayName: string; roles: StaffRole[] }[] = [
  { email: 'admin@demo.test', displayName: 'Ada Admin', roles: [StaffRole.ADMIN] },
  { email: 'reviewer@demo.test', displayName: 'Rui Reviewer', roles: [StaffRole.REVIEWER] },
  { email: 'ops@demo.test', displayName: 'Olga Operations', roles: [StaffRole.OPERATIONS] },
  { email: 'support@demo.test', displayName: 'Sam Support', roles: [StaffRole.CUSTOMER_SERVICE] },
  { email: 'risk@demo.test', displayName: 'Rita Risk', roles: [StaffRole.RISK] },
  { email: 'finance@demo.test', displayName: 'Fei Finance', roles: [StaffRole.FINANCE] },
  { email: 'analyst@demo.test', displayName: 'Ana Analyst', roles: [StaffRole.ANALYST] },
  { email: 'alice@demo.test', displayName: 'Alice Shopper', roles: [] },
  { email: 'bob@demo.test', displayName: 'Bob Shopper', roles: [] },
  { email: 'merchant@demo.test', displayName: 'Mei Merchant', roles: [] },
];

export async function seedDemo(em: EntityManager): Promise<{ users: number }> {
  for (const u of DEMO_USERS) await upsertStaffUser(em.fork(), { ...u, password: DEMO_PASSWORD });
  return { users: DEMO_USERS.length };
}
