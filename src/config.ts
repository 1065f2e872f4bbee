import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';

/**
 * Every environment variable the server reads, read once, validated and typed here.
 * A bad or missing production setting stops start-up with a message naming it.
 */
export interface Config {
  env: 'development' | 'test' | 'production';
  isProduction: boolean;
  host: string;
  port: number;
  /** Postgres URL; undefined means "start the embedded PostgreSQL under dataDir". */
  databaseUrl: string | undefined;
  databasePoolMax: number;
  /** Read replicas for the public catalog queries (empty: everything on DATABASE_URL). */
  databaseReplicaUrls: string[];
  dataDir: string;
  embeddedPgPort: number;
  logLevel: string;
  trustProxy: boolean;
  jwt: { secret: string; issuer: string; audience: string; accessTokenTtlSeconds: number };
  refreshTokenTtlDays: number;
  /** Where the web app is, for links in emails (PUBLIC_URL; default http://localhost:PORT). */
  publicUrl: string;
  /** SMTP server of outgoing email (SMTP_URL); undefined: each email is written as an .eml file under `dataDir/mail`. */
  smtpUrl: string | undefined;
  /** Sender of every email (MAIL_FROM). */
  mailFrom: string;
  /** Non-transactional emails and SMS a user gets per hour at most (NOTIFY_MAX_PER_HOUR); the rest are SUPPRESSED. */
  notifyMaxPerHour: number;
  /** Minutes a password reset link works (PASSWORD_RESET_TTL_MINUTES). */
  passwordResetTtlMinutes: number;
  /** Hours an email verification link works (EMAIL_VERIFICATION_TTL_HOURS). */
  emailVerificationTtlHours: number;
  paymentWebhookSecret: string;
  /** Signs the payout provider's webhooks (`POST /webhooks/payouts/mock`). */
  payoutWebhookSecret: string;
  redisUrl: string | undefined;
  rateLimit: {
    authPerMinute: number;
    authWindowSeconds: number;
    loginFailuresPerAccount: number;
    loginFailureWindowSeconds: number;
    /** Password reset requests per email address per hour (PASSWORD_RESET_PER_HOUR). */
    passwordResetsPerHour: number;
  };
  limits: {
    maxQueryDepth: number;
    maxQueryAliases: number;
    maxQueryCost: number;
    maxBatchOperations: number;
    bodyLimitBytes: number;
  };
  currency: string;
  defaultCommissionRate: string;
  /** How often shops are settled: WEEKLY (Monday 00:00 Asia/Shanghai), DAILY (00:00 Asia/Shanghai) or CONTINUOUS (every run of close-settlements). */
  settlementPeriod: SettlementPeriod;
  /** Low-stock warning line of a variant when the shop gives none. */
  defaultLowStockThreshold: number;
  /** Anonymous catalog responses kept per process (0 turns the cache off). */
  catalogCacheEntries: number;
  catalog: {
    /** Compiled catalog reads (src/catalogReads): catalog queries answered by one SQL statement that builds the JSON; off sends everything through Apollo. */
    compiled: boolean;
    /** totalCount and facets are exact up to this many matching products; above, a count kept per filter for countTtlSeconds. */
    exactCountLimit: number;
    countTtlSeconds: number;
    /** How long after a catalog change a shared compiled answer computed before it may still be served (0: never). */
    staleMs: number;
  };
  /** Whether this process runs the background jobs (pg-boss workers and schedules). */
  jobsEnabled: boolean;
  orders: {
    /** Minutes an unpaid checkout holds its stock (0: it expires at once, at the next run of expire-checkouts). */
    checkoutTtlMinutes: number;
    /** Days after shipping when delivery is confirmed for the buyer (0: at the next run of auto-confirm-deliveries). */
    autoConfirmDays: number;
    /** Days after delivery when the order completes, the after-sales window (0: at the next run of complete-orders). */
    afterSalesDays: number;
  };
  afterSales: {
    /** Hours the merchant has to answer a request before it is approved for them (after-sale-auto-approve). */
    responseHours: number;
    /** Days the buyer has to escalate a rejected case before it closes (after-sale-auto-close). */
    escalationDays: number;
    /** Days the buyer has to ship an approved return before the case closes (after-sale-auto-close). */
    returnShipDays: number;
    /** Days the merchant has to confirm a shipped return before it is received for them (after-sale-auto-receive). */
    returnReceiveDays: number;
  };
  service: {
    /** Hours customer service (or the shop) has to answer a new ticket (first-response SLA; `ticket-sla` flags breaches). */
    ticketFirstResponseHours: number;
  };
  reviews: {
    /** Days after delivery during which the buyer may review a line (and `invite-reviews` invites). */
    windowDays: number;
    /** Days after delivery during which the buyer may add the one follow-up (追評). */
    followUpDays: number;
    /** Stars of the platform's default review for a line left unreviewed at the window's end; null: none is left. */
    defaultRating: number | null;
  };
  scorecard: {
    /** Hours after payment within which an order counts as shipped on time. */
    shipWithinHours: number;
  };
  membership: {
    /** Days of completed orders whose spend counts towards a member level (LEVEL_WINDOW_DAYS). */
    levelWindowDays: number;
    /** Points earned per major unit paid, before the level's multiplier (POINTS_PER_YUAN). */
    pointsPerYuan: number;
    /** Points that take one major unit off at checkout (POINTS_PER_YUAN_DISCOUNT; 100 points = 1.00). */
    pointsPerYuanDiscount: number;
    /** Most of a checkout's goods (after other discounts) points may pay, in basis points (POINTS_MAX_DISCOUNT_RATE 0.5 = 5000). */
    maxDiscountRateBp: number;
    /** Points each side of a referral gets when the invitee's first order completes (REFERRAL_REWARD_POINTS). */
    referralRewardPoints: number;
    /** A platform coupon campaign whose coupon each side of a referral also gets (REFERRAL_REWARD_CAMPAIGN_ID); null: points only. */
    referralRewardCampaignId: string | null;
    /** Points for a daily check-in (CHECK_IN_POINTS). */
    checkInPoints: number;
    /** Extra points on the days a check-in streak reaches a multiple of `days` (CHECK_IN_STREAK_BONUSES "7:20,30:100"). */
    checkInStreakBonuses: { days: number; points: number }[];
  };
  webhooks: {
    /** Milliseconds a merchant's webhook receiver has to answer before the attempt counts as failed (WEBHOOK_TIMEOUT_MS). */
    timeoutMs: number;
  };
  analytics: {
    /** Days raw behaviour events are kept (EVENT_RETENTION_DAYS): `maintain-event-partitions` drops an older day once it is snapshotted. */
    eventRetentionDays: number;
    /** `trackEvents` calls per client IP per minute (TRACK_EVENTS_PER_MINUTE); each call carries up to 50 events. */
    trackEventsPerMinute: number;
  };
  risk: {
    /** A checkout's orders scoring this or more are held once paid (RISK_HOLD_SCORE). */
    holdScore: number;
    /** Orders scoring this or more (and under holdScore) are MEDIUM risk (RISK_REVIEW_SCORE). */
    reviewScore: number;
    /** A sign-in from a new device in a new region also requires a password change (RISK_FORCE_PASSWORD_CHANGE). */
    forcePasswordChange: boolean;
    /** The request header a proxy or CDN sets to the client's region, e.g. cf-ipcountry (RISK_REGION_HEADER); empty: the IP's network. */
    regionHeader: string;
    /** Failed sign-ins of one account within loginFailureWindowMinutes that make a LOGIN_FAILURE_BURST risk event (LOGIN_FAILURE_BURST). */
    loginFailureBurst: number;
    loginFailureWindowMinutes: number;
    /** Violation points at which a shop is restricted (VIOLATION_RESTRICT_POINTS) and suspended (VIOLATION_SUSPEND_POINTS). */
    restrictPoints: number;
    suspendPoints: number;
  };
  webConcurrency: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

class Reader {
  readonly problems: string[] = [];
  constructor(readonly env: Env) {}

  str(name: string, fallback?: string): string | undefined {
    const value = this.env[name]?.trim();
    return value === undefined || value === '' ? fallback : value;
  }

  int(name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
    const raw = this.str(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      this.problems.push(`${name} must be an integer between ${min} and ${max} (got "${raw}")`);
      return fallback;
    }
    return value;
  }

  bool(name: string, fallback: boolean): boolean {
    const raw = this.str(name);
    if (raw === undefined) return fallback;
    if (['1', 'true', 'yes'].includes(raw.toLowerCase())) return true;
    if (['0', 'false', 'no'].includes(raw.toLowerCase())) return false;
    this.problems.push(`${name} must be true or false (got "${raw}")`);
    return fallback;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.str(name);
    if (raw === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(raw)) {
      this.problems.push(`${name} must be one of ${allowed.join(', ')} (got "${raw}")`);
      return fallback;
    }
    return raw as T;
  }
}

const DEV_WEBHOOK_SECRET = 'dev-payment-webhook-secret-change-me';
const DEV_PAYOUT_WEBHOOK_SECRET = 'dev-payout-webhook-secret-change-me';

export const SETTLEMENT_PERIODS = ['WEEKLY', 'DAILY', 'CONTINUOUS'] as const;
export type SettlementPeriod = (typeof SETTLEMENT_PERIODS)[number];

/** Development convenience: a JWT secret generated once and kept under the data directory. */
function devJwtSecret(dataDir: string): string {
  const file = path.join(dataDir, 'jwt-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

/** A rate from 0 to 1 with at most four decimals, as basis points. */
function rateBp(r: Reader, name: string, fallback: number): number {
  const raw = r.str(name);
  if (raw === undefined) return fallback;
  if (!/^(0(\.\d{1,4})?|1(\.0{1,4})?)$/.test(raw)) {
    r.problems.push(`${name} must be a rate from 0 to 1 with at most four decimals, e.g. 0.5 (got "${raw}")`);
    return fallback;
  }
  return Math.round(Number(raw) * 10_000);
}

/** A database key (a positive whole number), or null when unset. */
function keyOrNull(r: Reader, name: string): string | null {
  const raw = r.str(name);
  if (raw === undefined) return null;
  if (!/^[1-9]\d{0,17}$/.test(raw)) {
    r.problems.push(`${name} must be a database key such as 42 (got "${raw}")`);
    return null;
  }
  return raw;
}

/** An absolute URL whose scheme is one of `protocols` (without the colon), or `fallback` when unset. */
function urlSetting(r: Reader, name: string, protocols: string[], fallback?: string): string | undefined {
  const raw = r.str(name);
  if (raw === undefined) return fallback;
  let protocol = '';
  try {
    protocol = new URL(raw).protocol.slice(0, -1);
  } catch {
    // Named below with the expected schemes.
  }
  if (!protocols.includes(protocol)) {
    r.problems.push(`${name} must be a ${protocols.map((p) => `${p}://`).join(' or ')} URL`);
    return fallback;
  }
  return raw;
}

/** "days:points" pairs separated by commas, e.g. "7:20,30:100"; empty for none. */
function streakBonuses(r: Reader, name: string, fallback: string): { days: number; points: number }[] {
  const raw = r.env[name] === undefined ? fallback : (r.env[name] ?? '').trim();
  if (raw === '') return [];
  const pairs = raw.split(',').map((p) => p.trim().match(/^(\d{1,4}):(\d{1,6})$/));
  if (pairs.some((m) => !m || Number(m[1]) < 2)) {
    r.problems.push(`${name} must be "days:points" pairs separated by commas with days of at least 2, e.g. "7:20,30:100" (got "${raw}")`);
    return [];
  }
  return pairs.map((m) => ({ days: Number(m![1]), points: Number(m![2]) }));
}

export function loadConfig(env: Env = process.env, cwd = process.cwd()): Config {
  const r = new Reader(env);
  const nodeEnv = r.oneOf('NODE_ENV', ['development', 'test', 'production'] as const, 'development');
  const isProduction = nodeEnv === 'production';
  const dataDir = path.resolve(cwd, r.str('DATA_DIR', '.data')!);

  const databaseUrl = r.str('DATABASE_URL');
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    r.problems.push('DATABASE_URL must be a postgres:// or postgresql:// URL');
  }
  if (isProduction && databaseUrl === undefined) {
    r.problems.push('DATABASE_URL is required when NODE_ENV=production (the embedded PostgreSQL is for development and tests)');
  }

  const databaseReplicaUrls = (r.str('DATABASE_REPLICA_URLS') ?? '').split(',').map((u) => u.trim()).filter(Boolean);
  if (databaseReplicaUrls.some((u) => !/^postgres(ql)?:\/\//.test(u))) r.problems.push('DATABASE_REPLICA_URLS must be comma-separated postgres:// URLs');

  let jwtSecret = r.str('JWT_SECRET');
  if (jwtSecret !== undefined && Buffer.byteLength(jwtSecret) < 32) {
    r.problems.push('JWT_SECRET must be at least 32 bytes');
  } else if (jwtSecret === undefined) {
    if (isProduction) r.problems.push('JWT_SECRET is required when NODE_ENV=production');
    else jwtSecret = nodeEnv === 'test' ? randomBytes(48).toString('base64url') : devJwtSecret(dataDir);
  }

  let paymentWebhookSecret = r.str('PAYMENT_WEBHOOK_SECRET');
  if (paymentWebhookSecret === undefined) {
    if (isProduction) r.problems.push('PAYMENT_WEBHOOK_SECRET is required when NODE_ENV=production');
    paymentWebhookSecret = DEV_WEBHOOK_SECRET;
  } else if (isProduction && paymentWebhookSecret === DEV_WEBHOOK_SECRET) {
    r.problems.push('PAYMENT_WEBHOOK_SECRET must not be the development default when NODE_ENV=production');
  }

  let payoutWebhookSecret = r.str('PAYOUT_WEBHOOK_SECRET');
  if (payoutWebhookSecret === undefined) {
    if (isProduction) r.problems.push('PAYOUT_WEBHOOK_SECRET is required when NODE_ENV=production');
    payoutWebhookSecret = DEV_PAYOUT_WEBHOOK_SECRET;
  } else if (isProduction && payoutWebhookSecret === DEV_PAYOUT_WEBHOOK_SECRET) {
    r.problems.push('PAYOUT_WEBHOOK_SECRET must not be the development default when NODE_ENV=production');
  }

  const redisUrl = r.str('REDIS_URL');
  if (redisUrl !== undefined && !/^rediss?:\/\//.test(redisUrl)) {
    r.problems.push('REDIS_URL must be a redis:// or rediss:// URL');
  }

  const currency = r.str('CURRENCY', 'CNY')!;
  if (!/^[A-Z]{3}$/.test(currency)) r.problems.push('CURRENCY must be an ISO 4217 code such as CNY');

  const defaultCommissionRate = r.str('DEFAULT_COMMISSION_RATE', '0.05')!;
  if (!/^0(\.\d{1,4})?$|^1(\.0{1,4})?$/.test(defaultCommissionRate)) {
    r.problems.push('DEFAULT_COMMISSION_RATE must be a decimal between 0 and 1 with at most 4 decimals');
  }

  // Emails must reach people, and their links the web app: no .eml files or localhost links in production.
  if (isProduction && r.str('SMTP_URL') === undefined) {
    r.problems.push('SMTP_URL is required when NODE_ENV=production (without it emails are only written to files under DATA_DIR/mail)');
  }
  if (isProduction && r.str('PUBLIC_URL') === undefined) {
    r.problems.push('PUBLIC_URL is required when NODE_ENV=production (the links in emails point to it)');
  }

  const port = r.int('PORT', 4000, 0, 65535);
  const config: Config = {
    env: nodeEnv,
    isProduction,
    host: r.str('HOST', '0.0.0.0')!,
    port,
    databaseUrl,
    databasePoolMax: r.int('DATABASE_POOL_MAX', 10, 1, 1000),
    databaseReplicaUrls,
    dataDir,
    embeddedPgPort: r.int('EMBEDDED_PG_PORT', 54329, 1024, 65535),
    logLevel: r.oneOf('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, nodeEnv === 'test' ? 'silent' : 'info'),
    trustProxy: r.bool('TRUST_PROXY', false),
    jwt: {
      secret: jwtSecret ?? '',
      issuer: r.str('JWT_ISSUER', 'marketplace')!,
      audience: r.str('JWT_AUDIENCE', 'marketplace-api')!,
      accessTokenTtlSeconds: r.int('ACCESS_TOKEN_TTL_SECONDS', 900, 30, 86_400),
    },
    refreshTokenTtlDays: r.int('REFRESH_TOKEN_TTL_DAYS', 30, 1, 365),
    publicUrl: urlSetting(r, 'PUBLIC_URL', ['http', 'https'], `http://localhost:${port}`)!.replace(/\/+$/, ''),
    smtpUrl: urlSetting(r, 'SMTP_URL', ['smtp', 'smtps']),
    mailFrom: r.str('MAIL_FROM', 'Marketplace <no-reply@marketplace.local>')!,
    notifyMaxPerHour: r.int('NOTIFY_MAX_PER_HOUR', 20, 0, 10_000),
    passwordResetTtlMinutes: r.int('PASSWORD_RESET_TTL_MINUTES', 60, 1, 24 * 60),
    emailVerificationTtlHours: r.int('EMAIL_VERIFICATION_TTL_HOURS', 48, 1, 30 * 24),
    paymentWebhookSecret,
    payoutWebhookSecret,
    redisUrl,
    rateLimit: {
      authPerMinute: r.int('RATE_LIMIT_AUTH_PER_MINUTE', 30, 1),
      authWindowSeconds: r.int('RATE_LIMIT_AUTH_WINDOW_SECONDS', 60, 1),
      loginFailuresPerAccount: r.int('LOGIN_FAILURES_PER_ACCOUNT', 10, 1),
      loginFailureWindowSeconds: r.int('LOGIN_FAILURE_WINDOW_SECONDS', 900, 1),
      passwordResetsPerHour: r.int('PASSWORD_RESET_PER_HOUR', 5, 1),
    },
    limits: {
      maxQueryDepth: r.int('MAX_QUERY_DEPTH', 12, 2, 100),
      maxQueryAliases: r.int('MAX_QUERY_ALIASES', 30, 1, 1000),
      maxQueryCost: r.int('MAX_QUERY_COST', 10_000, 10),
      maxBatchOperations: r.int('MAX_BATCH_OPERATIONS', 10, 1, 100),
      bodyLimitBytes: r.int('BODY_LIMIT_BYTES', 1_048_576, 1024),
    },
    currency,
    defaultCommissionRate,
    settlementPeriod: r.oneOf('SETTLEMENT_PERIOD', SETTLEMENT_PERIODS, 'WEEKLY'),
    defaultLowStockThreshold: r.int('LOW_STOCK_THRESHOLD', 5, 0, 1_000_000),
    catalogCacheEntries: r.int('CATALOG_CACHE_ENTRIES', 1000, 0, 100_000),
    catalog: {
      compiled: r.oneOf('CATALOG_COMPILED', ['on', 'off'] as const, 'on') === 'on',
      exactCountLimit: r.int('CATALOG_EXACT_COUNT_LIMIT', 1000, 0, 10_000_000),
      countTtlSeconds: r.int('CATALOG_COUNT_TTL_SECONDS', 10, 0, 3600),
      staleMs: r.int('CATALOG_STALE_MS', 1000, 0, 60_000),
    },
    jobsEnabled: r.bool('JOBS_ENABLED', true),
    orders: {
      // The periods accept 0 so tests and demos can shorten them, then run the scheduled task.
      checkoutTtlMinutes: r.int('CHECKOUT_TTL_MINUTES', 30, 0, 7 * 24 * 60),
      autoConfirmDays: r.int('AUTO_CONFIRM_DAYS', 10, 0, 90),
      afterSalesDays: r.int('AFTER_SALES_DAYS', 7, 0, 90),
    },
    afterSales: {
      responseHours: r.int('AFTER_SALE_RESPONSE_HOURS', 48, 0, 30 * 24),
      escalationDays: r.int('ESCALATION_DAYS', 7, 0, 90),
      returnShipDays: r.int('RETURN_SHIP_DAYS', 7, 0, 90),
      returnReceiveDays: r.int('RETURN_RECEIVE_DAYS', 10, 0, 90),
    },
    service: {
      // 24 hours is the seeds' response target; 0 makes every ticket due at once (tests, demos).
      ticketFirstResponseHours: r.int('TICKET_FIRST_RESPONSE_HOURS', 24, 0, 30 * 24),
    },
    reviews: {
      windowDays: r.int('REVIEW_WINDOW_DAYS', 15, 0, 365),
      followUpDays: r.int('REVIEW_FOLLOW_UP_DAYS', 90, 0, 3650),
      defaultRating: r.str('REVIEW_DEFAULT_RATING') === undefined ? null : r.int('REVIEW_DEFAULT_RATING', 5, 1, 5),
    },
    scorecard: {
      shipWithinHours: r.int('SHIP_WITHIN_HOURS', 48, 1, 30 * 24),
    },
    membership: {
      levelWindowDays: r.int('LEVEL_WINDOW_DAYS', 365, 1, 3650),
      pointsPerYuan: r.int('POINTS_PER_YUAN', 1, 0, 1000),
      pointsPerYuanDiscount: r.int('POINTS_PER_YUAN_DISCOUNT', 100, 1, 100_000),
      maxDiscountRateBp: rateBp(r, 'POINTS_MAX_DISCOUNT_RATE', 5000),
      referralRewardPoints: r.int('REFERRAL_REWARD_POINTS', 100, 0, 1_000_000),
      referralRewardCampaignId: keyOrNull(r, 'REFERRAL_REWARD_CAMPAIGN_ID'),
      checkInPoints: r.int('CHECK_IN_POINTS', 5, 0, 10_000),
      checkInStreakBonuses: streakBonuses(r, 'CHECK_IN_STREAK_BONUSES', '7:20,30:100'),
    },
    webhooks: {
      timeoutMs: r.int('WEBHOOK_TIMEOUT_MS', 5000, 100, 60_000),
    },
    analytics: {
      eventRetentionDays: r.int('EVENT_RETENTION_DAYS', 90, 1, 3650),
      trackEventsPerMinute: r.int('TRACK_EVENTS_PER_MINUTE', 120, 1, 100_000),
    },
    risk: {
      holdScore: r.int('RISK_HOLD_SCORE', 60, 1, 100_000),
      reviewScore: r.int('RISK_REVIEW_SCORE', 30, 1, 100_000),
      forcePasswordChange: r.bool('RISK_FORCE_PASSWORD_CHANGE', false),
      regionHeader: (r.str('RISK_REGION_HEADER', '') ?? '').trim().toLowerCase(),
      loginFailureBurst: r.int('LOGIN_FAILURE_BURST', 5, 2, 1000),
      loginFailureWindowMinutes: r.int('LOGIN_FAILURE_WINDOW_MINUTES', 15, 1, 1440),
      restrictPoints: r.int('VIOLATION_RESTRICT_POINTS', 12, 1, 1000),
      suspendPoints: r.int('VIOLATION_SUSPEND_POINTS', 24, 1, 1000),
    },
    // Every core in production; one process in development, where restarts should be instant.
    webConcurrency: r.int('WEB_CONCURRENCY', isProduction ? availableParallelism() : 1, 1, 256),
  };

  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return Object.freeze(config);
}
