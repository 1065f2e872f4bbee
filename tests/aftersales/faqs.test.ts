import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaffRole } from '../../src/entities';
import { createTestApp, type TestApp } from '../helpers/app';
import { seller, staff } from '../helpers/catalog';
import { userWithToken } from '../helpers/factories';
import { code, failuresOf, idOf, keyOf, okPayload } from '../helpers/kit';

/**
 * The FAQ library (常見問題庫): staff CUSTOMER_SERVICE keep it (audited); anyone searches it, in
 * Chinese (bigrams of CJK runs) and English (stemmed, prefix-matched words), by category.
 */

const FAQ_FIELDS = 'id question answer category position createdAt';
const CREATE = `mutation($input: CreateFaqInput!) { createFaq(input: $input) { faq { ${FAQ_FIELDS} } errors { code field message } } }`;
const UPDATE = `mutation($input: UpdateFaqInput!) { updateFaq(input: $input) { faq { ${FAQ_FIELDS} } errors { code field message } } }`;
const DELETE = `mutation($input: IdInput!) { deleteFaq(input: $input) { deletedFaqId errors { code field message } } }`;
const FAQS = `query($search: String, $category: String) { faqs(search: $search, category: $category) { ${FAQ_FIELDS} } }`;
const NODE = `query($id: ID!) { node(id: $id) { id ... on Faq { question } } }`;

let t: TestApp;
let agent: { token: string; user: { id: string } };
const entries: Record<string, { id: string; question: string }> = {};

const create = (input: Record<string, unknown>, token = agent.token) => t.gql(CREATE, { input }, { token });
const created = async (input: Record<string, unknown>) => okPayload(await create(input), 'createFaq', 'faq');
const faqs = async (args: { search?: string; category?: string } = {}, token?: string): Promise<string[]> => {
  const res = await t.gql(FAQS, args, { token });
  expect(res.errors).toBeUndefined();
  return res.data!.faqs.map((f: { question: string }) => f.question);
};

beforeAll(async () => {
  t = await createTestApp();
  agent = await staff(t, StaffRole.CUSTOMER_SERVICE);
  const library = [
    { key: 'refundZh', question: '如何申請退款？', answer: '在「我的訂單」中選擇訂單，點擊「申請售後」，選擇僅退款或退貨退款。', category: '退換貨', position: 1 },
    { key: 'shippingZh', question: '運費怎麼計算？', answer: '運費由商家的運費模板決定，滿額包郵的訂單免運費。', category: '配送', position: 1 },
    { key: 'invoiceZh', question: '可以開發票嗎？', answer: '可以，請在下單時填寫發票抬頭；退款後發票會作廢。', category: '支付', position: 2 },
    { key: 'refundEn', question: 'How do I get a refund?', answer: 'Open the order, choose "After-sales" and ask for a refund only, or a return and refund.', category: 'Returns', position: 1 },
    { key: 'shippingEn', question: 'How long does delivery take?', answer: 'Most parcels are shipped within 48 hours and delivered in 2 to 5 days.', category: 'Shipping', position: 1 },
    { key: 'paymentEn', question: 'Which payment methods are accepted?', answer: 'Cards and mobile wallets.', category: 'Payment', position: 0 },
  ];
  for (const { key, ...input } of library) entries[key] = await created(input);
});
afterAll(() => t.close());

describe('faqs', () => {
  it('finds Chinese entries by any run of two or more characters, in the question or the answer, question matches first', async () => {
    // 退款 is in the refund question and in the invoice answer (退款後發票會作廢).
    expect(await faqs({ search: '退款' })).toEqual(['如何申請退款？', '可以開發票嗎？']);
    expect(await faqs({ search: '申請退款' })).toEqual(['如何申請退款？']);
    expect(await faqs({ search: '運費' })).toEqual(['運費怎麼計算？']);
    expect(await faqs({ search: '包郵' })).toEqual(['運費怎麼計算？']);
    // Adjacent bigrams: 退發 appears nowhere, though 退 and 發 both do.
    expect(await faqs({ search: '退發' })).toEqual([]);
  });

  it('finds English entries by stemmed, prefix-matched words, any case', async () => {
    expect(await faqs({ search: 'refunds' })).toEqual(['How do I get a refund?']);
    expect(await faqs({ search: 'Deliver' })).toEqual(['How long does delivery take?']);
    expect(await faqs({ search: 'pay' })).toEqual(['Which payment methods are accepted?']);
    // Every word must match.
    expect(await faqs({ search: 'refund wallet' })).toEqual([]);
  });

  it('filters by category, alone or with a search, and lists everything by category and position without either, to anyone', async () => {
    expect(await faqs({ category: '配送' })).toEqual(['運費怎麼計算？']);
    expect(await faqs({ category: 'Returns', search: 'refund' })).toEqual(['How do I get a refund?']);
    expect(await faqs({ category: 'Shipping', search: 'refund' })).toEqual([]);
    const all = await faqs();
    expect(all).toHaveLength(6);
    const { token } = await userWithToken(t);
    expect(await faqs({}, token)).toEqual(all);
    // A search without a letter or digit searches nothing.
    expect(await faqs({ search: '？！…' })).toEqual(all);
  });

  it('refuses a search over 100 characters with BAD_USER_INPUT', async () => {
    const res = await t.gql(FAQS, { search: '退'.repeat(101) });
    expect(res.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'search' });
  });

  it('refetches an entry by node(id) for anyone', async () => {
    const res = await t.gql(NODE, { id: entries.paymentEn.id });
    expect(res.data!.node).toEqual({ id: entries.paymentEn.id, question: 'Which payment methods are accepted?' });
  });
});

describe('createFaq, updateFaq, deleteFaq', () => {
  it('creates an entry, audited', async () => {
    const faq = await created({ question: '商品有保固嗎？', answer: '大部分電子產品享有一年保固。', category: '售後', position: 3 });
    expect(faq).toMatchObject({ question: '商品有保固嗎？', answer: '大部分電子產品享有一年保固。', category: '售後', position: 3 });
    expect(faq.id).toBe(idOf('Faq', keyOf(faq.id)));
    const [audit] = await t.sql(`select action, actor_id::text, after from audit_entry where target_type = 'Faq' and target_id = ?`, [keyOf(faq.id)]);
    expect(audit).toEqual({ action: 'faq.create', actor_id: agent.user.id, after: { question: '商品有保固嗎？', category: '售後', position: 3 } });
    expect(await faqs({ search: '保固' })).toEqual(['商品有保固嗎？']);
  });

  it('updates the fields given, and search follows the new text', async () => {
    const faq = await created({ question: 'Can I change my address?', answer: 'Before the order ships.', category: 'Orders' });
    const updated = okPayload(await t.gql(UPDATE, { input: { id: faq.id, question: '可以修改收貨地址嗎？', position: 7 } }, { token: agent.token }), 'updateFaq', 'faq');
    expect(updated).toMatchObject({ id: faq.id, question: '可以修改收貨地址嗎？', answer: 'Before the order ships.', category: 'Orders', position: 7 });
    expect(await faqs({ search: '收貨地址' })).toEqual(['可以修改收貨地址嗎？']);
    expect(await faqs({ search: 'address' })).toEqual([]);
    const [audit] = await t.sql(`select before, after from audit_entry where action = 'faq.update' and target_id = ?`, [keyOf(faq.id)]);
    expect(audit).toEqual({ before: { question: 'Can I change my address?', category: 'Orders', position: 0 }, after: { question: '可以修改收貨地址嗎？', category: 'Orders', position: 7 } });
  });

  it('deletes an entry, audited with what it said', async () => {
    const faq = await created({ question: 'Is there a mobile app?', answer: 'Not yet.', category: 'General' });
    const res = okPayload(await t.gql(DELETE, { input: { id: faq.id } }, { token: agent.token }), 'deleteFaq');
    expect(res.deletedFaqId).toBe(faq.id);
    expect(await faqs({ search: 'mobile app' })).toEqual([]);
    const [audit] = await t.sql(`select before from audit_entry where action = 'faq.delete' and target_id = ?`, [keyOf(faq.id)]);
    expect(audit.before).toEqual({ question: 'Is there a mobile app?', category: 'General', position: 0, answer: 'Not yet.' });
    expect(code(await t.gql(DELETE, { input: { id: faq.id } }, { token: agent.token }))).toBe('NOT_FOUND');
    expect(code(await t.gql(UPDATE, { input: { id: faq.id, answer: 'Yes.' } }, { token: agent.token }))).toBe('NOT_FOUND');
  });

  it('reports every invalid field as INVALID_INPUT naming it', async () => {
    const res = await create({ question: 'ab', answer: '', category: 'x'.repeat(41), position: -1 });
    expect(failuresOf(res, 'createFaq', 'faq')).toEqual([
      ['INVALID_INPUT', 'input.question'],
      ['INVALID_INPUT', 'input.answer'],
      ['INVALID_INPUT', 'input.category'],
      ['INVALID_INPUT', 'input.position'],
    ]);
    const update = await t.gql(UPDATE, { input: { id: entries.refundEn.id, answer: 'x'.repeat(5001) } }, { token: agent.token });
    expect(failuresOf(update, 'updateFaq', 'faq')).toEqual([['INVALID_INPUT', 'input.answer']]);
    expect(await faqs({ search: 'refund' })).toEqual(['How do I get a refund?']);
  });

  it('keeps the FAQ to staff CUSTOMER_SERVICE (and ADMIN): FORBIDDEN to other staff, shop owners and shoppers, UNAUTHENTICATED without a token', async () => {
    const admin = await staff(t, StaffRole.ADMIN);
    okPayload(await create({ question: 'Who runs this FAQ?', answer: 'Customer service.', category: 'General' }, admin.token), 'createFaq', 'faq');
    const callers: [string, string][] = [
      ...(await Promise.all([StaffRole.OPERATIONS, StaffRole.REVIEWER, StaffRole.RISK, StaffRole.FINANCE, StaffRole.ANALYST].map(async (role) => [`staff ${role}`, (await staff(t, role)).token] as [string, string]))),
      ['shop OWNER', (await seller(t)).owner.token],
      ['a shopper', (await userWithToken(t)).token],
    ];
    const before = await t.sql('select count(*)::int as n from faq');
    for (const [who, token] of callers) {
      expect([who, code(await create({ question: 'Sneaky?', answer: 'Yes.', category: 'General' }, token))]).toEqual([who, 'FORBIDDEN']);
      expect([who, code(await t.gql(UPDATE, { input: { id: entries.refundEn.id, answer: 'No.' } }, { token }))]).toEqual([who, 'FORBIDDEN']);
      expect([who, code(await t.gql(DELETE, { input: { id: entries.refundEn.id } }, { token }))]).toEqual([who, 'FORBIDDEN']);
    }
    expect(code(await t.gql(CREATE, { input: { question: 'Sneaky?', answer: 'Yes.', category: 'General' } }))).toBe('UNAUTHENTICATED');
    expect(await t.sql('select count(*)::int as n from faq')).toEqual(before);
  });
});

describe('query plan', () => {
  it('serves a search from faq_search_idx on a library of thousands of entries', async () => {
    await t.sql(
      `insert into faq (question, answer, category, position)
       select 'Question number ' || g || ' 問題編號', 'Answer ' || g || ' about topic ' || (g % 97), 'Bulk ' || (g % 13), g % 50 from generate_series(1, 4000) g`,
    );
    // VACUUM moves the bulk insert out of the GIN index's pending list, as autovacuum would.
    await t.sql('vacuum analyze faq');
    const { result, statements } = await t.captureQueries(FAQS, { search: '退款' });
    expect(result.errors).toBeUndefined();
    const listing = statements.find((s) => /from "faq" e/.test(s.sql))!;
    const plan = JSON.stringify(await t.orm.em.fork().getConnection().execute(`explain (format json) ${listing.sql}`, [...listing.params]));
    expect(plan).toContain('"Index Name":"faq_search_idx"');
  });
});
