import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config';

const PROD = {
  NODE_ENV: 'production',
  DATABASE_URL: 'postgres://app@db.internal:5432/marketplace',
  JWT_SECRET: 'x'.repeat(40),
  PAYMENT_WEBHOOK_SECRET: 'a-real-production-webhook-secret',
  PAYOUT_WEBHOOK_SECRET: 'a-real-production-payout-secret',
  SMTP_URL: 'smtps://mailer:secret@smtp.example.com:465',
  PUBLIC_URL: 'https://shop.example.com/',
};

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env, '/tmp');
    return [];
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
}

describe('config', () => {
  it('accepts a complete production configuration with documented defaults', () => {
    const config = loadConfig(PROD, '/tmp');
    expect(config).toMatchObject({ isProduction: true, port: 4000, currency: 'CNY', limits: { maxQueryDepth: 12, maxQueryAliases: 30, maxQueryCost: 10_000 } });
    expect(config.rateLimit).toEqual({ authPerMinute: 30, authWindowSeconds: 60, loginFailuresPerAccount: 10, loginFailureWindowSeconds: 900, passwordResetsPerHour: 5 });
    expect(config).toMatchObject({ smtpUrl: PROD.SMTP_URL, publicUrl: 'https://shop.example.com', notifyMaxPerHour: 20 });
    expect(config.jwt.accessTokenTtlSeconds).toBe(900);
  });

  it.each(['DATABASE_URL', 'JWT_SECRET', 'PAYMENT_WEBHOOK_SECRET', 'PAYOUT_WEBHOOK_SECRET', 'SMTP_URL', 'PUBLIC_URL'])('refuses to start in production without %s, naming it', (name) => {
    const env: Record<string, string> = { ...PROD };
    delete env[name];
    const found = problems(env);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain(name);
    // Set but blank is unset.
    expect(problems({ ...PROD, [name]: '  ' }).join('\n')).toContain(name);
  });

  it('needs neither SMTP_URL nor PUBLIC_URL outside production: emails go to .eml files with links to localhost', () => {
    const config = loadConfig({ NODE_ENV: 'development', JWT_SECRET: 'x'.repeat(40) }, '/tmp');
    expect(config.smtpUrl).toBeUndefined();
    expect(config.publicUrl).toBe('http://localhost:4000');
  });

  it('takes the password reset requests per email and hour from PASSWORD_RESET_PER_HOUR, and names a bad value', () => {
    expect(loadConfig({ ...PROD, PASSWORD_RESET_PER_HOUR: '2' }, '/tmp').rateLimit.passwordResetsPerHour).toBe(2);
    expect(problems({ ...PROD, PASSWORD_RESET_PER_HOUR: '0' })[0]).toContain('PASSWORD_RESET_PER_HOUR');
    expect(problems({ ...PROD, PASSWORD_RESET_PER_HOUR: 'five' })[0]).toContain('PASSWORD_RESET_PER_HOUR');
  });

  it('names every bad setting at once', () => {
    const found = problems({ ...PROD, JWT_SECRET: 'short', PORT: 'eighty', MAX_QUERY_DEPTH: '0', REDIS_URL: 'http://x', CURRENCY: 'yuan' });
    expect(found.map((p) => p.split(' ')[0]).sort()).toEqual(['CURRENCY', 'JWT_SECRET', 'MAX_QUERY_DEPTH', 'PORT', 'REDIS_URL']);
  });

  it('refuses the development webhook secrets in production', () => {
    expect(problems({ ...PROD, PAYMENT_WEBHOOK_SECRET: 'dev-payment-webhook-secret-change-me' })[0]).toContain('PAYMENT_WEBHOOK_SECRET');
    expect(problems({ ...PROD, PAYOUT_WEBHOOK_SECRET: 'dev-payout-webhook-secret-change-me' })[0]).toContain('PAYOUT_WEBHOOK_SECRET');
  });

  it('settles weekly unless SETTLEMENT_PERIOD says DAILY or CONTINUOUS, and names a bad value', () => {
    expect(loadConfig(PROD, '/tmp').settlementPeriod).toBe('WEEKLY');
    expect(loadConfig({ ...PROD, SETTLEMENT_PERIOD: 'CONTINUOUS' }, '/tmp').settlementPeriod).toBe('CONTINUOUS');
    expect(problems({ ...PROD, SETTLEMENT_PERIOD: 'MONTHLY' })[0]).toContain('SETTLEMENT_PERIOD');
  });

  it('lets development run with nothing set: embedded database and a generated secret', () => {
    const config = loadConfig({ NODE_ENV: 'test' }, '/tmp');
    expect(config.databaseUrl).toBeUndefined();
    expect(Buffer.byteLength(config.jwt.secret)).toBeGreaterThanOrEqual(32);
  });
});
