import { randomBytes } from 'node:crypto';
import { Category, ShopMember, type ShopMemberRole, Shop, type StaffRole, User } from '../../src/entities';
import { hashPassword } from '../../src/services/identity';
import type { TestApp } from './app';

export const PASSWORD = 'correct horse battery';

let passwordHash: Promise<string> | undefined;

export function uniqueEmail(prefix = 'user'): string {
  return `${prefix}-${randomBytes(5).toString('hex')}@example.com`;
}

/** A user straight in the database (hashing once per file keeps factories fast). */
export async function createUser(t: TestApp, opts: { email?: string; roles?: StaffRole[]; displayName?: string } = {}): Promise<User> {
  passwordHash ??= hashPassword(PASSWORD);
  const em = t.orm.em.fork();
  const user = new User(opts.email ?? uniqueEmail(), opts.displayName ?? 'Test User', await passwordHash);
  user.staffRoles = opts.roles ?? [];
  await em.persistAndFlush(user);
  return user;
}

/** Signs in through the API and returns the tokens. */
export async function signIn(t: TestApp, email: string, password = PASSWORD): Promise<{ accessToken: string; refreshToken: string }> {
  const res = await t.gql(
    `mutation($input: LoginInput!) { login(input: $input) { accessToken refreshToken errors { code } } }`,
    { input: { email, password } },
  );
  const login = res.data?.login;
  if (!login?.accessToken) throw new Error(`sign-in failed: ${JSON.stringify(res.errors ?? login?.errors)}`);
  return login;
}

/** A user and an access token for them. */
export async function userWithToken(t: TestApp, opts: { roles?: StaffRole[] } = {}): Promise<{ user: User; token: string }> {
  const user = await createUser(t, opts);
  const { accessToken } = await signIn(t, user.email);
  return { user, token: accessToken };
}

export async function createShop(t: TestApp, members: { user: User; role: ShopMemberRole }[] = []): Promise<Shop> {
  const em = t.orm.em.fork();
  const suffix = randomBytes(4).toString('hex');
  const shop = new Shop(`Shop ${suffix}`, `shop-${suffix}`);
  em.persist(shop);
  for (const m of members) em.persist(new ShopMember(shop, em.getReference(User, m.user.id), m.role));
  await em.flush();
  return shop;
}

const USCC_CHARSET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/** A unified social credit code with a correct check character (GB 32100-2015), random body. */
export function validUscc(): string {
  const body = '91110000' + Array.from({ length: 9 }, () => USCC_CHARSET[Math.floor(Math.random() * 10)]).join('');
  const sum = [...body].reduce((acc, ch, i) => acc + USCC_CHARSET.indexOf(ch) * USCC_WEIGHTS[i], 0);
  return body + USCC_CHARSET[(31 - (sum % 31)) % 31];
}

/** A root category made directly in the database. */
export async function createCategory(t: TestApp, name = `Category ${randomBytes(3).toString('hex')}`): Promise<Category> {
  const em = t.orm.em.fork();
  const category = em.create(Category, { name, slug: `c-${randomBytes(5).toString('hex')}`, path: '/', depth: 0, attributes: [], position: 0 });
  await em.flush();
  category.path = `/${category.id}/`;
  await em.flush();
  return category;
}

/** A complete, valid merchant application input. */
export function applicationInput(categoryIds: string[], overrides: Record<string, unknown> = {}) {
  return {
    shopName: `Shop ${randomBytes(4).toString('hex')}`,
    legalName: 'Hangzhou Example Trading Co., Ltd.',
    businessLicenseNumber: validUscc(),
    contactName: 'Li Wei',
    contactPhone: '13812345678',
    contactEmail: 'contact@example.com',
    categoryIds,
    description: 'Wireless earphones and phone accessories.',
    ...overrides,
  };
}
