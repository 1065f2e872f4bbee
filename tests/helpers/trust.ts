import type { GqlResult, TestApp } from './app';
import { keyOf, okPayload } from './kit';

/**
 * Product reports, violations and appeals (tests/risk/{reports,violations,appeals}.test.ts): the
 * operations as clients send them, and what the database holds of a shop's trust.
 */

export const REPORT_FIELDS = `id reason status description evidenceUrls createdAt decidedAt decisionReason product { id } shop { id } reporter { id }`;
export const VIOLATION_FIELDS = `id kind points reason status at revokedAt shop { id } product { id } report { id } appeal { id status reason }`;
export const APPEAL_FIELDS = `id status reason createdAt decidedAt decisionReason shop { id } violation { id status points }`;
export const STANDING_FIELDS = `creditScore violationPoints standing restrictedAt status statusReason`;

export const REPORT = `mutation($input: ReportProductInput!) { reportProduct(input: $input) { productReport { ${REPORT_FIELDS} } errors { code field message } } }`;
export const DECIDE_REPORT = `mutation($input: DecideProductReportInput!) { decideProductReport(input: $input) {
  productReport { ${REPORT_FIELDS} } shopViolation { ${VIOLATION_FIELDS} } errors { code field message } } }`;
export const REPORTS = `query($filter: ProductReportFilter, $first: Int, $after: String) { productReports(filter: $filter, first: $first, after: $after) {
  totalCount nodes { id status product { id } } pageInfo { hasNextPage endCursor } } }`;
export const RECORD = `mutation($input: RecordShopViolationInput!) { recordShopViolation(input: $input) { shopViolation { ${VIOLATION_FIELDS} } errors { code field message } } }`;
export const APPEAL = `mutation($input: AppealViolationInput!) { appealViolation(input: $input) { violationAppeal { ${APPEAL_FIELDS} } errors { code field message } } }`;
export const DECIDE_APPEAL = `mutation($input: DecideAppealInput!) { decideAppeal(input: $input) { violationAppeal { ${APPEAL_FIELDS} } errors { code field message } } }`;
export const APPEALS = `query($filter: ViolationAppealFilter, $first: Int, $after: String) { violationAppeals(filter: $filter, first: $first, after: $after) {
  totalCount nodes { id status shop { id } } pageInfo { hasNextPage endCursor } } }`;
export const STANDING = `query($id: ID!) { shop(id: $id) { ${STANDING_FIELDS} } }`;
export const VIOLATIONS = `query($id: ID!, $first: Int, $after: String) { shop(id: $id) { violations(first: $first, after: $after) {
  totalCount nodes { ${VIOLATION_FIELDS} } pageInfo { hasNextPage endCursor } } } }`;

/** A valid report of `productId`; `overrides` replace fields. */
export const reportInput = (productId: string, overrides: Record<string, unknown> = {}) => ({
  productId,
  reason: 'COUNTERFEIT',
  evidenceUrls: ['https://evidence.example.com/photo-1.jpg', 'https://brand.example.com/genuine'],
  description: 'The logo and the stitching differ from the genuine article.',
  ...overrides,
});

export interface TrustClient {
  report(productId: string, token: string, overrides?: Record<string, unknown>): Promise<GqlResult>;
  /** Reports and returns the report, asserting no errors. */
  reported(productId: string, token: string, overrides?: Record<string, unknown>): Promise<any>;
  decide(reportId: string, decision: 'UPHOLD' | 'DISMISS', token: string, reason?: string): Promise<GqlResult>;
  /** Decides and returns the payload ({ productReport, shopViolation }), asserting no errors. */
  decided(reportId: string, decision: 'UPHOLD' | 'DISMISS', token: string, reason?: string): Promise<any>;
  record(input: Record<string, unknown>, token: string): Promise<GqlResult>;
  /** Records and returns the violation, asserting no errors. */
  recorded(input: Record<string, unknown>, token: string): Promise<any>;
  appeal(violationId: string, token: string | null, reason?: string): Promise<GqlResult>;
  appealed(violationId: string, token: string, reason?: string): Promise<any>;
  decideAppeal(appealId: string, decision: 'ACCEPT' | 'REJECT', token: string, reason?: string): Promise<GqlResult>;
  appealDecided(appealId: string, decision: 'ACCEPT' | 'REJECT', token: string, reason?: string): Promise<any>;
  /** The shop's trust fields as `token` sees them. */
  standing(shopId: string, token: string): Promise<any>;
  /** The outbox events of the shop of these kinds, oldest first: [type, data]. */
  events(shopId: string, types?: string[]): Promise<[string, Record<string, unknown>][]>;
}

export function trustClient(t: TestApp): TrustClient {
  const as = (token: string | null) => (token ? { token } : {});
  const client: TrustClient = {
    report: (productId, token, overrides) => t.gql(REPORT, { input: reportInput(productId, overrides) }, { token }),
    reported: async (productId, token, overrides) => okPayload(await client.report(productId, token, overrides), 'reportProduct', 'productReport'),
    decide: (reportId, decision, token, reason = 'Checked against the brand’s samples') => t.gql(DECIDE_REPORT, { input: { reportId, decision, reason } }, { token }),
    decided: async (reportId, decision, token, reason) => okPayload(await client.decide(reportId, decision, token, reason), 'decideProductReport'),
    record: (input, token) => t.gql(RECORD, { input: { kind: 'MISLEADING', reason: 'Complaint #1234: wrong size chart', ...input } }, { token }),
    recorded: async (input, token) => okPayload(await client.record(input, token), 'recordShopViolation', 'shopViolation'),
    appeal: (violationId, token, reason = 'The listing was corrected the same day; see the attached invoice.') => t.gql(APPEAL, { input: { violationId, reason } }, as(token)),
    appealed: async (violationId, token, reason) => okPayload(await client.appeal(violationId, token, reason), 'appealViolation', 'violationAppeal'),
    decideAppeal: (appealId, decision, token, reason = 'Invoices from the brand’s distributor') => t.gql(DECIDE_APPEAL, { input: { appealId, decision, reason } }, { token }),
    appealDecided: async (appealId, decision, token, reason) => okPayload(await client.decideAppeal(appealId, decision, token, reason), 'decideAppeal', 'violationAppeal'),
    standing: async (shopId, token) => {
      const res = await t.gql(STANDING, { id: shopId }, { token });
      if (res.errors) throw new Error(JSON.stringify(res.errors));
      return res.data!.shop;
    },
    events: async (shopId, types = ['VIOLATION_RECORDED', 'SHOP_STANDING_CHANGED', 'APPEAL_DECIDED']) => {
      const rows = await t.sql('select type, data from outbox_event where shop_id = ? and type in (?) order by id', [keyOf(shopId), types]);
      return rows.map((r) => [r.type, r.data]);
    },
  };
  return client;
}
