import fc from 'fast-check';
import {
  type GraphQLArgument,
  type GraphQLInputType,
  type GraphQLOutputType,
  type GraphQLSchema,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isUnionType,
} from 'graphql';
import { toGlobalId } from '../../src/schema/shared/globalId';
import { validUscc } from './factories';

/**
 * Property-based fuzzing over the schema (tests/platform/fuzz.test.ts): one operation per root
 * field, its arguments generated from the input types with pools of edge cases, and the oracle
 * for what no response may contain.
 */

// --- Operations -----------------------------------------------------------------------------------

export interface FuzzOperation {
  /** The root field, e.g. `createProduct`. */
  field: string;
  kind: 'query' | 'mutation';
  /** The document: every argument a variable, a selection of the result two to three levels deep. */
  document: string;
  args: readonly GraphQLArgument[];
}

/** How many object levels under the root field the generated selection reaches. */
const SELECTION_DEPTH = 3;

/** One operation per root field of Query and Mutation. */
export function fuzzOperations(schema: GraphQLSchema): FuzzOperation[] {
  const operations: FuzzOperation[] = [];
  for (const kind of ['query', 'mutation'] as const) {
    const root = kind === 'query' ? schema.getQueryType() : schema.getMutationType();
    for (const field of Object.values(root?.getFields() ?? {})) {
      const variables = field.args.map((a) => `$${a.name}: ${String(a.type)}`).join(', ');
      const args = field.args.map((a) => `${a.name}: $${a.name}`).join(', ');
      const document = `${kind} fuzz_${field.name}${variables ? `(${variables})` : ''} { ${field.name}${args ? `(${args})` : ''} ${selectionOf(field.type, SELECTION_DEPTH)} }`;
      operations.push({ field: field.name, kind, document, args: field.args });
    }
  }
  return operations;
}

/** Every field that needs no arguments: leaves, and objects while `depth` lasts. */
function selectionOf(type: GraphQLOutputType, depth: number): string {
  const named = getNamedType(type);
  if (isLeafType(named)) return '';
  if (isUnionType(named)) return '{ __typename }';
  const parts: string[] = ['__typename'];
  for (const field of Object.values(named.getFields())) {
    if (field.args.some((a) => isNonNullType(a.type) && a.defaultValue === undefined)) continue;
    if (isLeafType(getNamedType(field.type))) parts.push(field.name);
    else if (depth > 1) parts.push(`${field.name} ${selectionOf(field.type, depth - 1)}`);
  }
  return `{ ${parts.join(' ')} }`;
}

// --- Edge cases -----------------------------------------------------------------------------------

const LONG = 'x'.repeat(10_000);

/** Strings any field gets: empty, blank, huge, NUL, lone surrogates, control, RTL, zero-width, injections. */
const EDGE_STRINGS: readonly string[] = [
  '',
  ' ',
  ' \t\r\n ',
  '\u00a0\u3000',
  'a',
  LONG,
  '字'.repeat(10_000),
  '\u0000',
  'a\u0000b',
  '\ud800',
  'a\udc00b',
  '\udfff\ud800',
  '\u0001\u0007\u0008\u001b[31m\u007f',
  '\u0085\u2028\u2029',
  '\u202eevil\u202c',
  'שלום עולם',
  'مرحبا',
  'a\u200bb\u200c\u200d\ufeff',
  '\u200b',
  'e\u0301\u0301\u0301',
  '👍🏽👨‍👩‍👧‍👦',
  '\ufffd\uffff',
  "' OR '1'='1",
  "'; drop table users; --",
  '"); delete from shop where (1=1',
  "1' union select password_hash from users --",
  '$1',
  '%',
  '_%\\',
  '\\',
  "\\'",
  '<script>alert(1)</script>',
  '{{7*7}}${7*7}',
  '../../../../etc/passwd',
  '__proto__',
  'constructor',
  'toString',
  'null',
  'undefined',
  'NaN',
  '-1',
  '1e308',
  'true',
  '{"$gt":""}',
  '浙江省',
  'Wireless Earphones Pro',
  'A perfectly ordinary description of twenty characters or more.',
];

const EDGE_EMAILS: readonly string[] = [
  'someone@example.com',
  'SOMEONE@Example.COM',
  ' someone@example.com ',
  `${'a'.repeat(245)}@example.com`,
  `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(60)}.com`,
  `${'a'.repeat(65)}@example.com`,
  'a@b',
  '@example.com',
  'a@',
  'a@@example.com',
  'a b@example.com',
  'ü@例え.jp',
  'a@example.com\u0000',
  "a'--@example.com",
  'a+tag@example.com',
];

const EDGE_PHONES: readonly string[] = ['13812345678', '+8613812345678', '138-1234-5678', '+14155550100', '1', '+', `+${'9'.repeat(40)}`, '１３８１２３４５６７８'];
const EDGE_URLS: readonly string[] = [
  'https://img.example.com/a.jpg',
  'http://x',
  'HTTPS://EXAMPLE.COM',
  'javascript:alert(1)',
  'data:text/html,<script>alert(1)</script>',
  'ftp://example.com/a',
  `https://example.com/${'a'.repeat(5000)}`,
  'http://169.254.169.254/latest/meta-data/',
  'https://例え.jp/画像.png',
  '//example.com/a.png',
];
const EDGE_TIMES: readonly string[] = ['09:00', '18:30', '00:00', '23:59', '24:00', '9:00', '25:61', '12:00:00', '-1:00'];
const EDGE_PASSWORDS: readonly string[] = ['short', 'a long enough password', '          ', LONG];
const EDGE_SEARCHES: readonly string[] = ['earphones', 'a:*', '!', '&|', '( )', "'", 'foo & | bar', '<->', '\\:*', '"unterminated', '*', 'OR', 'a'.repeat(1000)];
const EDGE_PROVINCES: readonly string[] = ['浙江省', '北京市', '新疆維吾爾自治區', ''];
const EDGE_TASKS: readonly string[] = ['complete-orders', 'expire-checkouts', 'auto-confirm-deliveries', 'purge-rate-limits', 'COMPLETE-ORDERS', 'no-such-task'];
const EDGE_DATETIMES: readonly unknown[] = [
  '0000-01-01T00:00:00Z',
  '9999-12-31T23:59:59-12:00',
  '0001-01-01T00:00:00Z',
  '1970-01-01T00:00:00Z',
  '2024-02-29T12:00:00+08:00',
  '2023-02-29T00:00:00Z',
  '2024-13-01T00:00:00Z',
  '2024-01-01',
  '2024-01-01T00:00:00',
  '2024-01-01T00:00:00.123456789Z',
  '+275760-09-13T00:00:00.000Z',
  '-000001-01-01T00:00:00Z',
  'now',
  '',
  0,
  8.64e15,
  1e308,
];
const EDGE_INTS: readonly unknown[] = [0, -1, 1, 2, 7, 8, 20, 100, 101, 500, 501, 999, 1000, 1_000_000, 1_000_001, 2 ** 31 - 1, -(2 ** 31)];
/** Numbers an Int variable refuses: too big for 32 bits, fractional, or not numbers at all. */
const BAD_INTS: readonly unknown[] = [2 ** 31, 2 ** 53, -(2 ** 53), 1e308, -1e308, 1.5, '1', true];
const EDGE_DECIMALS: readonly unknown[] = [
  '0',
  '-1',
  '-0',
  '0.01',
  '19.99',
  '0.00000001',
  '0.000000001',
  '1.123456789012345',
  '999999999999.99999999',
  '9999999999999',
  '1e308',
  '+1',
  ' 1 ',
  '1.',
  '.5',
  '1,5',
  'NaN',
  'Infinity',
  '0x10',
  '１２',
  0,
  -1,
  19.99,
  0.1 + 0.2,
  2 ** 53,
  1e308,
  1e-7,
  5e-324,
];
const EDGE_FLOATS: readonly unknown[] = [0, -0, 1, -1, 0.5, 1e308, -1e308, 5e-324, 2 ** 53];
/** Values of the wrong JSON type for whatever the variable is. */
const WRONG_TYPES: readonly unknown[] = [null, 0, -1, 1.5, true, '', 'x', [], [null], {}, { id: 'x' }, [[1]]];

/** Forged cursors: base64url of JSON a keyset cursor is not. */
const EDGE_CURSORS: readonly string[] = ['', 'garbage', '!!!', LONG, ...['["abc"]', '[]', '{}', 'null', '[null,null]', '[1e308,"1"]', '["9999999999999999999999","1"]', '["0000-01-01T00:00:00Z","1"]', '["2023-02-29T00:00:00.000Z","1"]', '["9999-12-31T23:59:59.999Z","9223372036854775807"]', '[1,2,3,4,5]'].map((j) => Buffer.from(j).toString('base64url'))];

/** Global-ID look-alikes that decode to nothing usable. */
const MALFORMED_IDS: readonly unknown[] = [
  '',
  ' ',
  'garbage!',
  '\u0000',
  '1',
  '-1',
  LONG,
  'U2hvcDo', // "Shop:"
  Buffer.from('Shop:1').toString('base64'), // standard base64, with padding
  Buffer.from(':1').toString('base64url'),
  Buffer.from('Shop:1\u0000').toString('base64url'),
  Buffer.from("Shop:1' or '1'='1").toString('base64url'),
  Buffer.from('Shop:1:2').toString('base64url'),
  Buffer.from('Shöp:1').toString('base64url'),
  'ÅÅÅÅ',
  1,
  0,
  -1,
  2 ** 53,
];

/** Keys no row has, or no bigint can hold. */
const UNKNOWN_KEYS = ['0', '-1', '987654321', '9223372036854775807', '9223372036854775808', '99999999999999999999', '1e3', 'abc', '00000001'];

// --- The world the values point into --------------------------------------------------------------

export interface FuzzPools {
  /** Global IDs of every object in the database, by GraphQL type. */
  ids: Record<string, string[]>;
  /** Strings from the database a field may name (emails, SKUs, slugs, cursors …), by hint. */
  strings: Partial<Record<Hint, string[]>>;
}

type Hint = 'email' | 'password' | 'phone' | 'url' | 'time' | 'slug' | 'cursor' | 'search' | 'sku' | 'task' | 'version' | 'token' | 'uscc' | 'province' | 'postal' | 'number' | 'name';

/** The hint of a string field by its name (the root field's name for a bare `name`). */
function hintOf(name: string, root: string): Hint | undefined {
  const n = name.toLowerCase();
  if (n.includes('email')) return 'email';
  if (n.includes('password')) return 'password';
  if (n.includes('phone')) return 'phone';
  if (n.includes('url')) return 'url';
  if (n === 'opens' || n === 'closes') return 'time';
  if (n === 'slug') return 'slug';
  if (n === 'after' || n === 'before') return 'cursor';
  if (n === 'search') return 'search';
  if (n === 'sku') return 'sku';
  if (n === 'name' && root === 'runScheduledTask') return 'task';
  if (n === 'version') return 'version';
  if (n.includes('token')) return 'token';
  if (n === 'businesslicensenumber') return 'uscc';
  if (n === 'province' || n === 'regions') return 'province';
  if (n === 'postalcode') return 'postal';
  if (n === 'number') return 'number';
  if (n.endsWith('name')) return 'name';
  return undefined;
}

/** Edge cases by hint, on top of EDGE_STRINGS. */
const HINTED: Record<Hint, readonly string[]> = {
  email: EDGE_EMAILS,
  password: EDGE_PASSWORDS,
  phone: EDGE_PHONES,
  url: EDGE_URLS,
  time: EDGE_TIMES,
  slug: ['UPPER-case', '-', 'a--b', '中文', 'a'.repeat(200)],
  cursor: EDGE_CURSORS,
  search: EDGE_SEARCHES,
  sku: [' SKU-1 ', 'sku-1', 'a'.repeat(200)],
  task: EDGE_TASKS,
  version: ['', 'v1.0 ', 'a'.repeat(200)],
  token: ['x', 'eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.', 'a'.repeat(64)],
  uscc: ['91110000000000000X', '911100000000000000', '91110000000000000O'],
  province: EDGE_PROVINCES,
  postal: ['12345', '1234567', '３１００００', '310 000'],
  number: ['%', '_', 'M-00000001'],
  name: ['A', 'a'.repeat(61), '王'],
};

const fresh = (prefix: string) => fc.uint8Array({ minLength: 5, maxLength: 5 }).map((b) => `${prefix}${Buffer.from(b).toString('hex')}`);
const GENERIC_PLAUSIBLE = [
  'Wireless Earphones Pro',
  'A perfectly ordinary description of twenty characters or more.',
  'Because the customer asked for it.',
  '杭州市',
  '西湖區',
  '文三路 100 號',
  'audio',
  'Colour',
  'Black',
  '王小明',
];

/** Values a field of each hint takes in a valid request (unique where the server wants unique; cursors come from the world). */
const PLAUSIBLE: Record<Exclude<Hint, 'cursor'> | 'generic', fc.Arbitrary<string>> = {
  email: fc.oneof(fresh('fuzz-').map((n) => `${n}@example.com`), fc.constant('someone@example.com')),
  password: fc.constantFrom('a long enough password', 'another fine passphrase'),
  phone: fc.constantFrom('13812345678', '+8613812345678', '+14155550100'),
  url: fc.constantFrom('https://img.example.com/a.jpg', 'http://example.com/logo.png'),
  time: fc.constantFrom('09:00', '18:30', '00:00', '23:59'),
  slug: fresh('fuzz-'),
  search: fc.constantFrom('earphones', 'Wireless', 'audio'),
  sku: fresh('SKU-'),
  task: fc.constantFrom('complete-orders', 'expire-checkouts', 'auto-confirm-deliveries', 'purge-rate-limits'),
  version: fc.constantFrom('1', '2025-01'),
  token: fc.constant('a'.repeat(43)),
  uscc: fc.constantFrom(validUscc(), validUscc(), validUscc()),
  province: fc.constantFrom('浙江省', '北京市'),
  postal: fc.constantFrom('310000', '100080'),
  number: fc.constant('1'),
  name: fc.oneof(fresh('Name '), fc.constantFrom('Li Wei', '王小明')),
  generic: fc.constantFrom(...GENERIC_PLAUSIBLE),
};

/**
 * The GraphQL type an ID field names, by its name; for a bare `id`, by the input type holding it
 * (`UpdateAddressInput`) or else the root field (`acceptOrder(input: IdInput)`).
 */
function idTypeOf(name: string, parent: string, root: string): string | undefined {
  const names = name === 'id' || name === 'ids' ? [parent, root] : [name];
  const rules: [RegExp, string][] = [
    [/invitation/, 'ShopInvitation'],
    [/application/, 'MerchantApplication'],
    [/variant/, 'ProductVariant'],
    [/member/, 'ShopMember'],
    [/shippingtemplate/, 'ShippingTemplate'],
    [/line/, 'CartLine'],
    [/address/, 'Address'],
    [/checkout/, 'Checkout'],
    [/order|delivery/, 'Order'],
    [/product/, 'Product'],
    [/brand/, 'Brand'],
    [/categor|parent/, 'Category'],
    [/course|training/, 'TrainingCourse'],
    [/question/, 'QuizQuestion'],
    [/user|actor|buyer/, 'User'],
    [/shop/, 'Shop'],
  ];
  for (const n of names.map((v) => v.toLowerCase())) {
    const found = rules.find(([re]) => re.test(n))?.[1];
    if (found) return found;
  }
  return undefined;
}

// --- Values ---------------------------------------------------------------------------------------

/**
 * How far a request strays. `plausible`: valid values of the right shape (fresh emails, own and
 * others' IDs of the right type) with an edge case here and there, so requests get through
 * validation into the services; `edgy`: right types, edge cases everywhere; `wild`: wrong JSON
 * types, missing required fields, out-of-range Ints and lower-case enums too, refused by input
 * coercion before any resolver runs.
 */
type Mode = 'plausible' | 'edgy' | 'wild';

interface Where {
  mode: Mode;
  /** The root field. */
  root: string;
  /** The input type holding the value (the root field for an argument). */
  parent: string;
  /** The nearest argument or input field name. */
  name: string;
  /** Inside a 1,000-element list: keep elements small so the body stays under the size limit. */
  small: boolean;
  depth: number;
}

const pick = <T>(values: readonly T[]) => fc.constantFrom(...values);
const weighted = (...pairs: [number, fc.Arbitrary<unknown>][]) => fc.oneof(...pairs.filter(([weight]) => weight > 0).map(([weight, arbitrary]) => ({ weight, arbitrary })));

/**
 * The variables of `op`, in each mode (see `Mode`). fast-check prints them with `preview` (a
 * failure's seed and path replay the full values).
 */
export function variablesArb(op: FuzzOperation, pools: FuzzPools): fc.Arbitrary<Record<string, unknown>> {
  const where = (mode: Mode): Where => ({ mode, root: op.field, parent: op.field, name: op.field, small: false, depth: 0 });
  return weighted([2, objectArb(op.args, pools, where('plausible'))], [1, objectArb(op.args, pools, where('edgy'))], [1, objectArb(op.args, pools, where('wild'))]).map(
    (variables) => Object.defineProperty(variables as Record<string, unknown>, fc.toStringMethod, { value: () => preview(variables) }),
  );
}

/** A value short enough to read in a report: long strings and lists cut, with their sizes. */
export function preview(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'string' && v.length > 60) return `${v.slice(0, 20)}…(${v.length} chars)`;
    if (Array.isArray(v) && v.length > 5) return [...v.slice(0, 3), `…(${v.length} elements)`];
    return v;
  });
}

function objectArb(fields: readonly { name: string; type: GraphQLInputType }[], pools: FuzzPools, where: Where): fc.Arbitrary<Record<string, unknown>> {
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const f of fields) model[f.name] = valueArb(f.type, pools, { ...where, name: f.name, depth: where.depth + 1 });
  const required = fields.filter((f) => isNonNullType(f.type)).map((f) => f.name);
  const record = fc.record(model, { requiredKeys: required });
  if (where.mode !== 'wild' || required.length === 0) return record;
  const missing = fc.tuple(record, fc.nat()).map(([r, i]) => {
    const copy: Record<string, unknown> = { ...r };
    delete copy[required[i % required.length]];
    return copy;
  });
  return weighted([8, record], [1, missing]) as fc.Arbitrary<Record<string, unknown>>;
}

function valueArb(type: GraphQLInputType, pools: FuzzPools, where: Where): fc.Arbitrary<unknown> {
  const wrong = where.mode === 'wild' ? 1 : 0;
  if (isNonNullType(type)) return weighted([10, innerArb(type.ofType, pools, where)], [wrong, pick(WRONG_TYPES)]);
  return weighted([12, innerArb(type, pools, where)], [where.mode === 'plausible' ? 1 : 3, fc.constant(null)], [wrong, pick(WRONG_TYPES)]);
}

function innerArb(type: GraphQLInputType, pools: FuzzPools, where: Where): fc.Arbitrary<unknown> {
  const wild = where.mode === 'wild' ? 1 : 0;
  const edge = where.mode === 'plausible' ? 1 : 6;
  if (isListType(type)) {
    // Input objects nest shallowly in this schema; past a few levels, lists stay empty.
    if (where.depth > 6) return fc.constant([]);
    const element = valueArb(type.ofType, pools, where);
    const parts: [number, fc.Arbitrary<unknown>][] = [
      [2, fc.constant([])],
      [12, fc.array(element, { minLength: 1, maxLength: 3 })],
      // A lone value stands for a one-element list in GraphQL input coercion.
      [wild, element],
    ];
    if (!where.small) {
      const small = valueArb(type.ofType, pools, { ...where, small: true });
      parts.push([edge > 1 ? 3 : 1, fc.array(small, { minLength: 1, maxLength: 3 }).map((seed) => Array.from({ length: 1000 }, (_, i) => seed[i % seed.length]))]);
    }
    return weighted(...parts);
  }
  if (isInputObjectType(type)) {
    return objectArb(Object.values(type.getFields()), pools, { ...where, parent: type.name });
  }
  if (isEnumType(type)) {
    const values = type.getValues().map((v) => v.name);
    return weighted([12, pick(values)], [2 * wild, pick(values.map((v) => v.toLowerCase()))], [wild, pick(['', 'NOT_A_VALUE', ' ADMIN'])]);
  }
  switch (type.name) {
    case 'ID':
      return idArb(pools, where);
    case 'String':
      return stringArb(pools, where);
    case 'Int':
      return weighted([edge, pick(EDGE_INTS)], [edge, fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })], [6, fc.integer({ min: 1, max: 10 })], [4 * wild, pick(BAD_INTS)]);
    case 'SafeInt':
      return weighted([edge, pick(EDGE_INTS)], [6, fc.integer({ min: 0, max: 1000 })], [edge, fc.maxSafeInteger()], [2 * wild, pick([2 ** 53, -(2 ** 53), 1e308, 1.5])]);
    case 'Float':
      return weighted([edge, pick(EDGE_FLOATS)], [4, fc.double({ noNaN: true, noDefaultInfinity: true })]);
    case 'Boolean':
      return weighted([10, fc.boolean()], [wild, pick(['true', 0, 1])]);
    case 'Decimal':
      return weighted([edge, pick(EDGE_DECIMALS)], [8, fc.integer({ min: 0, max: 100_000 }).map((n) => (n / 100).toFixed(2))]);
    case 'DateTime':
      return weighted(
        [edge, pick(EDGE_DATETIMES)],
        [4, fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString())],
      );
    default:
      // Custom scalars without a pool (JSON-ish): strings and wrong types.
      return weighted([2, stringArb(pools, where)], [1, pick(WRONG_TYPES)]);
  }
}

function stringArb(pools: FuzzPools, where: Where): fc.Arbitrary<string> {
  const fits = (s: string) => !where.small || s.length < 1000;
  const hint = hintOf(where.name, where.root);
  const known = ((hint && pools.strings[hint]) || []).filter(fits);
  const edges = [...EDGE_STRINGS, ...(hint ? HINTED[hint] : [])].filter(fits);
  const edgy = where.mode !== 'plausible';
  const parts: [number, fc.Arbitrary<unknown>][] = [
    [edgy ? 12 : 1, pick(edges)],
    [edgy ? 2 : 0, fc.string({ unit: 'binary', maxLength: 40 })],
    [edgy ? 1 : 0, fc.string({ unit: 'binary-ascii', maxLength: 40 })],
    [edgy ? 1 : 0, fc.string({ unit: 'grapheme', maxLength: where.small ? 40 : 300 })],
    [hint === 'cursor' ? 0 : edgy ? 2 : 6, hint === 'cursor' ? fc.constant('') : PLAUSIBLE[hint ?? 'generic']],
    [known.length ? (edgy ? 3 : 6) : 0, pick(known.length ? known : [''])],
  ];
  return weighted(...parts) as fc.Arbitrary<string>;
}

/**
 * An ID: mostly a real one of the type the field names (the viewer's own objects and everyone
 * else's), else a real ID of another type, an unknown key, or something that is no ID at all.
 */
function idArb(pools: FuzzPools, where: Where): fc.Arbitrary<unknown> {
  const all = Object.values(pools.ids).flat();
  const type = idTypeOf(where.name, where.parent, where.root);
  const matching = (type && pools.ids[type]) || [];
  const odd = where.mode === 'plausible' ? 1 : 2;
  return weighted(
    [odd, pick(MALFORMED_IDS.filter((v) => !where.small || typeof v !== 'string' || v.length < 1000))],
    [odd, pick(UNKNOWN_KEYS.map((k) => toGlobalId(type ?? 'Shop', k)))],
    [all.length ? (type ? odd + 1 : 12) : 0, pick(all.length ? all : [''])],
    [matching.length ? 16 : 0, pick(matching.length ? matching : [''])],
  );
}

// --- The oracle -----------------------------------------------------------------------------------

/** What no response may carry, whatever was sent. */
const LEAK_PATTERNS: readonly [string, RegExp][] = [
  ['a stack trace', / {4}at \S|\bat \S+ \(\S+:\d+:\d+\)/],
  ['SQL', /\b(select|insert|update|delete)\b[\s\S]*\bfrom\b/i],
  ['a PostgreSQL error', /syntax error at|violates|relation "|column "|duplicate key|invalid input syntax|out of range for type|invalid byte sequence/i],
  ['a source path', /\bsrc\/|node_modules|\.ts:\d+/],
];

/** Every string inside `value` (an argument echoed back is not a leak). */
function stringsIn(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) stringsIn(v, out);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) stringsIn(v, out);
  return out;
}

/**
 * The leaks in the thrown errors of a response (or its whole text when it is not GraphQL JSON):
 * stack traces, SQL, PostgreSQL messages and source paths. Parts of the request echoed back —
 * graphql-js quotes a refused variable value — are cut out first.
 */
export function leaksIn(text: string, body: { errors?: unknown } | undefined, sent: unknown): string[] {
  let haystack = body && typeof body === 'object' ? JSON.stringify(body.errors ?? []) : text;
  const echoes = [...new Set(stringsIn(sent))]
    .filter((s) => s.length > 0)
    .flatMap((s) => [JSON.stringify(s).slice(1, -1), JSON.stringify(JSON.stringify(s)).slice(1, -1)])
    .sort((a, b) => b.length - a.length);
  for (const echo of echoes) haystack = haystack.split(echo).join('');
  return LEAK_PATTERNS.filter(([, re]) => re.test(haystack)).map(([what]) => what);
}
