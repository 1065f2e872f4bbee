import type { EntityManager } from '@mikro-orm/postgresql';
import {
  AgreementAcceptance,
  ApplicationDecision,
  ApplicationDecisionType,
  Category,
  MerchantApplication,
  MerchantApplicationStatus,
  QuizAttempt,
  QuizQuestion,
  Shop,
  ShopMember,
  ShopMemberRole,
  ShopStatus,
  StaffRole,
  TrainingCourse,
  TrainingLesson,
  User,
} from '../entities';
import { currentAgreement } from '../services/onboarding';
import { computeScorecards } from '../services/reviews';
import { systemClock } from '../services/shared';
import { upsertStaffUser } from '../services/identity';
import { type Config, loadConfig } from '../config';
import { type DemoCatalogResult, seedCategoryTree, seedDemoCatalog } from './demoCatalog';
import { seedDemoOrders } from './orders';
import { seedDemoPromotions } from './promotions';
import { seedDemoReviews } from './reviews';
import { DEMO_MEMBERS, seedDemoMembership } from './membership';
import { seedDemoEvents, snapshotDemoMetrics } from './analytics';
import { DEMO_RISKY_SHOPPER, type DemoRisk, seedDemoRisk } from './risk';

export const DEMO_PASSWORD = 'demo-password-2026';

/** Demo people: one account per staff role, shoppers, merchants and applicants. Re-running updates them. */
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
  // A new shopper whose first order risk control holds (seeds/risk.ts).
  { ...DEMO_RISKY_SHOPPER, roles: [] },
  // The demo reviewers (seeds/reviews.ts).
  { email: 'wang@demo.test', displayName: '王小明', roles: [] },
  { email: 'li@demo.test', displayName: '李娜', roles: [] },
  { email: 'zhang@demo.test', displayName: '張偉', roles: [] },
  { email: 'chen@demo.test', displayName: '陳靜', roles: [] },
  // The demo members, one per level above the first (seeds/membership.ts).
  ...DEMO_MEMBERS.map((m) => ({ email: m.email, displayName: m.displayName, roles: [] })),
  { email: 'merchant@demo.test', displayName: 'Mei Merchant', roles: [] },
  { email: 'newshop@demo.test', displayName: 'Niu Newshop', roles: [] },
  { email: 'operator@demo.test', displayName: 'Otto Operator', roles: [] },
  ...['draft', 'submitted', 'inreview', 'changes', 'rejected'].map((s) => ({ email: `applicant-${s}@demo.test`, displayName: `Applicant ${s}`, roles: [] })),
];

async function seedTraining(em: EntityManager): Promise<TrainingCourse> {
  const existing = await em.findOne(TrainingCourse, { title: 'Platform rules 平台規則' });
  if (existing) return existing;
  const course = em.create(TrainingCourse, { title: 'Platform rules 平台規則', description: 'Listing standards, service times and after-sales duties.', required: true, passScore: 80, published: true, publishedAt: new Date() });
  em.create(TrainingLesson, { course, position: 0, title: 'Listing standards 商品上架標準', body: 'Names, descriptions, images and specifications must match the real item. Counterfeit or shoddy goods are strictly forbidden.' });
  em.create(TrainingLesson, { course, position: 1, title: 'Service times', body: 'Answer customers within 24 hours.' });
  em.create(QuizQuestion, { course, position: 0, prompt: 'Counterfeit goods are…', options: ['allowed when cheap', 'strictly forbidden'], correctOptionIndexes: [1] });
  em.create(QuizQuestion, { course, position: 1, prompt: 'Customers must get an answer within…', options: ['24 hours', 'a week', 'a month'], correctOptionIndexes: [0] });
  const draft = em.create(TrainingCourse, { title: 'Live streaming basics (draft)', description: 'Selling through live streams.', required: false, passScore: 60, published: false });
  em.create(TrainingLesson, { course: draft, position: 0, title: 'Preparing a stream', body: 'Light, sound, script.' });
  await em.flush();
  return course;
}

/** Shops in every status, each with an approved application behind it; applications in every status. */
async function seedShopsAndApplications(em: EntityManager, users: Map<string, User>, categories: Map<string, Category>, course: TrainingCourse): Promise<number> {
  if (await em.findOne(Shop, { slug: 'blue-sea-digital' })) return 0;
  const reviewer = users.get('reviewer@demo.test')!;
  const electronics = categories.get('electronics')!;
  const agreement = await currentAgreement(em);
  const shops: [string, string, ShopStatus, string][] = [
    ['藍海數碼 Blue Sea Digital', 'blue-sea-digital', ShopStatus.ACTIVE, 'merchant@demo.test'],
    ['Fresh Frozen 冷鏈生鮮', 'fresh-frozen', ShopStatus.ONBOARDING, 'newshop@demo.test'],
    ['Silk Road Fashion', 'silk-road-fashion', ShopStatus.SUSPENDED, 'applicant-rejected@demo.test'],
    ['Old Town Books', 'old-town-books', ShopStatus.CLOSED, 'bob@demo.test'],
  ];
  for (const [name, slug, status, ownerEmail] of shops) {
    const owner = users.get(ownerEmail)!;
    const shop = new Shop(name, slug);
    if (status === ShopStatus.ACTIVE) em.persist(new ShopMember(shop, users.get('operator@demo.test')!, ShopMemberRole.OPERATOR));
    Object.assign(shop, {
      status,
      description: `${name}: demo shop`,
      phone: '13800138000',
      address: '1 Demo Road, Hangzhou',
      commissionRate: '0.0500',
      businessHours: [1, 2, 3, 4, 5].map((weekday) => ({ weekday, opens: '09:00', closes: '21:00' })),
      activatedAt: status === ShopStatus.ONBOARDING ? null : new Date(),
      statusReason: status === ShopStatus.SUSPENDED ? 'Complaints about counterfeit goods under review' : status === ShopStatus.CLOSED ? 'Closed at the owner’s request' : null,
    });
    em.persist(shop);
    em.persist(new ShopMember(shop, owner, ShopMemberRole.OWNER));
    const app = em.create(MerchantApplication, {
      applicant: owner, status: MerchantApplicationStatus.APPROVED, shopName: name, legalName: `${name} Co., Ltd.`, businessLicenseNumber: '91350100M000100Y43',
      contactName: owner.displayName, contactPhone: '13800138000', contactEmail: owner.email, description: 'Demo application', categoryIds: [electronics.id],
      reviewer, submittedAt: new Date(), shop,
    });
    em.create(ApplicationDecision, { application: app, decision: ApplicationDecisionType.APPROVE, reviewer, reason: null });
    if (status !== ShopStatus.ONBOARDING) {
      em.create(AgreementAcceptance, { shop, acceptedBy: owner, version: agreement.version, ip: '127.0.0.1' });
      em.create(QuizAttempt, { shop, course, takenBy: owner, score: 100, passed: true, answers: [] });
    }
  }

  const pending: [string, MerchantApplicationStatus, string | null][] = [
    ['applicant-draft@demo.test', MerchantApplicationStatus.DRAFT, null],
    ['applicant-submitted@demo.test', MerchantApplicationStatus.SUBMITTED, null],
    ['applicant-inreview@demo.test', MerchantApplicationStatus.IN_REVIEW, null],
    ['applicant-changes@demo.test', MerchantApplicationStatus.CHANGES_REQUESTED, 'Upload a clearer business licence'],
    ['applicant-rejected@demo.test', MerchantApplicationStatus.REJECTED, 'Sells replica brand goods'],
  ];
  for (const [email, status, reason] of pending) {
    const applicant = users.get(email)!;
    const app = em.create(MerchantApplication, {
      applicant, status, shopName: `${applicant.displayName} Store`, legalName: `${applicant.displayName} Trading Co., Ltd.`, businessLicenseNumber: '91350100M000100Y43',
      contactName: applicant.displayName, contactPhone: '+85291234567', contactEmail: email, description: 'Small home appliances', categoryIds: [electronics.id],
      reviewer: status === MerchantApplicationStatus.DRAFT || status === MerchantApplicationStatus.SUBMITTED ? null : reviewer,
      submittedAt: status === MerchantApplicationStatus.DRAFT ? null : new Date(),
    });
    if (reason) {
      em.create(ApplicationDecision, {
        application: app, reviewer, reason,
        decision: status === MerchantApplicationStatus.REJECTED ? ApplicationDecisionType.REJECT : ApplicationDecisionType.REQUEST_CHANGES,
      });
    }
  }
  await em.flush();
  return shops.length;
}

export async function seedDemo(
  em: EntityManager,
  config: Config = loadConfig({ NODE_ENV: 'test', JWT_SECRET: 'seed-demo-does-not-sign-tokens-000000', CURRENCY: process.env.CURRENCY }),
): Promise<{
  users: number;
  categories: number;
  shops: number;
  catalog: DemoCatalogResult;
  orders: number;
  cases: number;
  tickets: number;
  reviews: number;
  promotions: number;
  couponCampaigns: number;
  memberLevels: number;
  members: number;
  /** Risk control's demo: blacklist entries, the held order, the upheld report's violation (0s when seeded already). */
  risk: DemoRisk;
  scorecards: number;
  /** Behaviour events added (0 when the demo's are there already). */
  events: number;
  /** The analytics snapshot of the seeded range (every run). */
  metrics: { from: string; to: string; days: number; rows: number };
}> {
  const users = new Map<string, User>();
  for (const u of DEMO_USERS) users.set(u.email, (await upsertStaffUser(em.fork(), { ...u, password: DEMO_PASSWORD })).user);
  const fork = em.fork();
  for (const [email, user] of users) users.set(email, fork.merge(user));
  await seedCategoryTree(fork);
  const categories = new Map((await fork.find(Category, {})).map((c) => [c.slug, c]));
  const course = await seedTraining(fork);
  const shops = await seedShopsAndApplications(fork, users, categories, course);
  const catalog = await seedDemoCatalog(fork, {
    password: DEMO_PASSWORD,
    reviewerId: users.get('reviewer@demo.test')!.id,
    riskId: users.get('risk@demo.test')!.id,
  });
  const { orders, cases, tickets } = await seedDemoOrders(em.fork(), config);
  const reviews = await seedDemoReviews(em.fork(), config);
  const { promotions, campaigns } = await seedDemoPromotions(em.fork(), config);
  const { levels: memberLevels, members } = await seedDemoMembership(em.fork(), config);
  const risk = await seedDemoRisk(em.fork(), config);
  const { done: scorecards } = await computeScorecards({ config, clock: systemClock }, em.fork());
  // Analytics last, over everything above: the month's behaviour events, then the snapshot.
  const events = await seedDemoEvents(em.fork(), systemClock);
  const metrics = await snapshotDemoMetrics(em.fork(), config, systemClock);
  return { users: users.size, categories: categories.size, shops, catalog, orders, cases, tickets, reviews, promotions, couponCampaigns: campaigns, memberLevels, members, risk, scorecards, events, metrics };
}
