import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, createTestApp } from '../helpers/app';
import { PASSWORD, createUser } from '../helpers/factories';
import { code } from '../helpers/kit';

const LOGIN = `mutation($input: LoginInput!) { login(input: $input) { accessToken errors { code } } }`;
const REGISTER = `mutation($input: RegisterInput!) { register(input: $input) { accessToken errors { code } } }`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function withRedis<T>(use: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis(process.env.TEST_REDIS_URL!, { maxRetriesPerRequest: 2 });
  try {
    return await use(redis);
  } finally {
    await redis.quit();
  }
}

// Short windows so the tests can watch the limits recover.
const LIMITS = {
  RATE_LIMIT_AUTH_PER_MINUTE: '5',
  RATE_LIMIT_AUTH_WINDOW_SECONDS: '2',
  LOGIN_FAILURES_PER_ACCOUNT: '3',
  LOGIN_FAILURE_WINDOW_SECONDS: '2',
};

/** The same behaviour whichever shared store holds the counters. */
const stores = [
  { name: 'PostgreSQL', env: {} as Record<string, string> },
  ...(process.env.TEST_REDIS_URL ? [{ name: 'Redis', env: { REDIS_URL: process.env.TEST_REDIS_URL } }] : []),
];

describe.each(stores)('rate limits in $name', ({ name, env }) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ ...LIMITS, ...env });
    if (name === 'Redis') await t.orm.em.fork().getConnection().execute('delete from rate_limit');
  });
  afterAll(() => t.close());

  it('limits register/login per IP with RATE_LIMITED, and recovers after the window', async () => {
    const ip = `198.51.100.${Math.floor(Math.random() * 200)}`;
    const codes: string[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await t.gql(REGISTER, { input: { email: `ip-${i}@example.com`, password: 'short', displayName: 'X' } }, { ip });
      codes.push(code(res) ?? res.data!.register.errors[0].code);
    }
    expect(codes).toEqual(['WEAK_PASSWORD', 'WEAK_PASSWORD', 'WEAK_PASSWORD', 'WEAK_PASSWORD', 'WEAK_PASSWORD', 'RATE_LIMITED']);
    const limited = await t.gql(LOGIN, { input: { email: 'x@example.com', password: 'whatever-password' } }, { ip });
    expect(limited.errors![0].extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number) });

    // Another IP is not affected.
    const other = await t.gql(LOGIN, { input: { email: 'x@example.com', password: 'whatever-password' } }, { ip: '192.0.2.250' });
    expect(other.data!.login.errors[0].code).toBe('INVALID_CREDENTIALS');

    await sleep(2100);
    const recovered = await t.gql(LOGIN, { input: { email: 'x@example.com', password: 'whatever-password' } }, { ip });
    expect(recovered.data!.login.errors[0].code).toBe('INVALID_CREDENTIALS');
  });

  it('locks an account after repeated failed logins from any IPs, even for the right password, then recovers', async () => {
    const user = await createUser(t);
    for (let i = 0; i < 3; i++) {
      const res = await t.gql(LOGIN, { input: { email: user.email, password: 'wrong password!' } }, { ip: `203.0.113.${i + 1}` });
      expect(res.data!.login.errors[0].code).toBe('INVALID_CREDENTIALS');
    }
    const locked = await t.gql(LOGIN, { input: { email: user.email, password: PASSWORD } }, { ip: '203.0.113.50' });
    expect(locked.errors![0].extensions!.code).toBe('RATE_LIMITED');

    await sleep(2100);
    const ok = await t.gql(LOGIN, { input: { email: user.email, password: PASSWORD } }, { ip: '203.0.113.51' });
    expect(ok.data!.login.errors).toEqual([]);
    expect(ok.data!.login.accessToken).toEqual(expect.any(String));
  });

  it('counts failed logins of the longest accepted email and of an over-long one, which never answers 500', async () => {
    const long = await createUser(t, { email: `${'l'.repeat(254 - '@example.com'.length - 8)}${randomBytes(4).toString('hex')}@example.com` });
    expect(long.email).toHaveLength(254);
    const overLong = `${'o'.repeat(300)}@example.com`;
    for (const email of [long.email, overLong]) {
      for (let i = 0; i < 3; i++) {
        const res = await t.gql(LOGIN, { input: { email, password: 'wrong password!' } }, { ip: `203.0.113.${100 + i}` });
        expect(res.errors).toBeUndefined();
        expect(res.data!.login.errors[0].code).toBe('INVALID_CREDENTIALS');
      }
      const locked = await t.gql(LOGIN, { input: { email, password: PASSWORD } }, { ip: '203.0.113.150' });
      expect(locked.errors![0].extensions!.code).toBe('RATE_LIMITED');
    }
    await sleep(2100);
    const ok = await t.gql(LOGIN, { input: { email: long.email, password: PASSWORD } }, { ip: '203.0.113.151' });
    expect(ok.data!.login.errors).toEqual([]);
  });

  it('keys each counter by its limiter and a fixed-length hash of the IP or email', async () => {
    const keys: string[] =
      name === 'PostgreSQL'
        ? (await t.orm.em.fork().getConnection().execute<{ key: string }[]>('select key from rate_limit')).map((r) => r.key)
        : await withRedis((redis) => redis.keys('*'));
    const ours = keys.filter((k) => /^(auth_ip|login_fail):/.test(k));
    expect(ours.length).toBeGreaterThan(0);
    for (const key of ours) expect(key).toMatch(/^(auth_ip|login_fail):[0-9a-f]{64}$/);
  });

  it('keeps the counters in the shared store, not in process memory', async () => {
    const rows = await t.orm.em.fork().getConnection().execute('select key from rate_limit');
    if (name === 'PostgreSQL') expect(rows.length).toBeGreaterThan(0);
    else expect(rows).toHaveLength(0);
  });
});
