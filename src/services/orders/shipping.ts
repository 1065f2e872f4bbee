import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context } from '../../context';
import { entitiesWhereIn } from '../../db/rows';
import { type RegionRuleData, type ShippingRuleData, ShippingTemplate, ShopStatus } from '../../entities';
import { Failure, NotFoundError, Problems, UserErrorCode } from '../../errors';
import { checkText, toMinor, SHIPPING_ROLES } from '../shared';
import { lockShopAsMember } from '../onboarding';

/**
 * Shipping-fee templates (運費模板) and the fee function. A template charges `firstFee` for up to
 * `firstUnits` units and `additionalFee` for every further block of `additionalUnits` (a started
 * block counts in full); rules by province come first, the default rule covers the rest, and a
 * free-shipping threshold waives the fee when the shop group's subtotal reaches it.
 */


const MAX_TEMPLATES_PER_SHOP = 50;
const MAX_RULES = 50;
const MAX_REGIONS_PER_RULE = 50;
const MAX_UNITS = 9999;

export interface ShippingRuleInput {
  firstUnits: number;
  firstFee: string;
  additionalUnits: number;
  additionalFee: string;
}

export interface ShippingRegionRuleInput extends ShippingRuleInput {
  regions: string[];
}

export interface ShippingTemplateInput {
  /** Database key of the shop. */
  shopId: string;
  name: string;
  isDefault?: boolean | null;
  rules: ShippingRegionRuleInput[];
  defaultRule: ShippingRuleInput;
  freeShippingThreshold?: string | null;
}

export interface UpdateShippingTemplateInput {
  /** Database key of the template. */
  id: string;
  name?: string | null;
  isDefault?: boolean | null;
  rules?: ShippingRegionRuleInput[] | null;
  defaultRule?: ShippingRuleInput | null;
  /** Omitted: unchanged; null: no threshold any more. */
  freeShippingThreshold?: string | null;
}

// ---------- the fee function ----------

/** The rule of `template` for `province`: the first rule listing it (trimmed, exact), else the default rule. */
export function ruleFor(template: Pick<ShippingTemplate, 'rules' | 'defaultRule'>, province: string | null): ShippingRuleData {
  const wanted = province?.trim();
  return (wanted ? template.rules.find((r) => r.regions.includes(wanted)) : undefined) ?? template.defaultRule;
}

/**
 * The fee in minor units for `units` units shipped under `template` to `province` (null: no
 * address yet, the default rule applies). The free-shipping threshold is not applied here: it
 * compares the whole shop group's subtotal, which `quoteShipping` knows.
 */
export function shippingFee(template: Pick<ShippingTemplate, 'rules' | 'defaultRule'>, units: number, province: string | null): number {
  if (units <= 0) return 0;
  const rule = ruleFor(template, province);
  if (units <= rule.firstUnits) return rule.firstFee;
  return rule.firstFee + Math.ceil((units - rule.firstUnits) / rule.additionalUnits) * rule.additionalFee;
}

export interface ShippingLineInput {
  templateId: string | null;
  quantity: number;
}

export interface ShippingGroupInput {
  shopId: string;
  subtotal: number;
  lines: ShippingLineInput[];
}

/**
 * Fee per shop id, in minor units; loads every template of the given shops in one query.
 *
 * Within a shop group the lines are bucketed by template — a product's own template, else the
 * shop's default (also when a line names a template the shop does not own) — and each template
 * charges for its own units; a template's fee is waived when the group's subtotal reaches its
 * free-shipping threshold. A shop without templates ships free. Give each shop one group.
 */
export async function quoteShipping(em: EntityManager, groups: ShippingGroupInput[], province: string | null): Promise<Map<string, number>> {
  return shippingFees(await loadShippingTemplates(em, groups.map((g) => g.shopId)), groups, province);
}

/** Every template of the given shops, by shop id: one query (none for no shops). */
export async function loadShippingTemplates(em: EntityManager, shopIds: string[]): Promise<Map<string, ShippingTemplate[]>> {
  const byShop = new Map<string, ShippingTemplate[]>();
  const unique = [...new Set(shopIds)];
  if (unique.length === 0) return byShop;
  const templates = await entitiesWhereIn(em, ShippingTemplate, 'shop_id', unique, 'e.id');
  for (const t of templates) byShop.set(t.shop.id, [...(byShop.get(t.shop.id) ?? []), t]);
  return byShop;
}

/** `quoteShipping` on templates already loaded: a pure function. */
export function shippingFees(templates: ReadonlyMap<string, ShippingTemplate[]>, groups: ShippingGroupInput[], province: string | null): Map<string, number> {
  return new Map(groups.map((group) => [group.shopId, groupFee(templates.get(group.shopId) ?? [], group, province)]));
}

function groupFee(templates: ShippingTemplate[], group: ShippingGroupInput, province: string | null): number {
  const fallback = templates.find((t) => t.isDefault) ?? null;
  const units = new Map<ShippingTemplate, number>();
  for (const line of group.lines) {
    const template = (line.templateId ? templates.find((t) => t.id === line.templateId) : undefined) ?? fallback;
    if (template) units.set(template, (units.get(template) ?? 0) + line.quantity);
  }
  let fee = 0;
  for (const [template, u] of units) {
    const free = template.freeShippingThreshold != null && group.subtotal >= template.freeShippingThreshold;
    if (!free) fee += shippingFee(template, u, province);
  }
  return fee;
}

// ---------- templates ----------

interface ParsedTemplate {
  name?: string;
  rules?: RegionRuleData[];
  defaultRule?: ShippingRuleData;
  freeShippingThreshold?: number | null;
}

function parseRule(ctx: Context, problems: Problems, rule: ShippingRuleInput, path: string[]): ShippingRuleData {
  const { currency } = ctx.deps.config;
  const units = (value: number, name: string) => {
    if (!Number.isInteger(value) || value < 1 || value > MAX_UNITS) problems.add(UserErrorCode.INVALID_INPUT, `${name} must be a whole number from 1 to ${MAX_UNITS}`, [...path, name]);
    return value;
  };
  return {
    firstUnits: units(rule.firstUnits, 'firstUnits'),
    firstFee: toMinor(rule.firstFee, currency, problems, [...path, 'firstFee']) ?? 0,
    additionalUnits: units(rule.additionalUnits, 'additionalUnits'),
    additionalFee: toMinor(rule.additionalFee, currency, problems, [...path, 'additionalFee']) ?? 0,
  };
}

function parseRegionRules(ctx: Context, problems: Problems, rules: ShippingRegionRuleInput[]): RegionRuleData[] {
  if (rules.length > MAX_RULES) problems.add(UserErrorCode.INVALID_INPUT, `At most ${MAX_RULES} rules`, ['input', 'rules']);
  return rules.map((rule, i) => {
    const path = ['input', 'rules', String(i)];
    const regions = [...new Set(rule.regions.map((r, j) => checkText(problems, r, [...path, 'regions', String(j)], 1, 40, 'A region')))];
    if (regions.length === 0 || regions.length > MAX_REGIONS_PER_RULE) {
      problems.add(UserErrorCode.INVALID_INPUT, `A rule lists 1 to ${MAX_REGIONS_PER_RULE} provinces`, [...path, 'regions']);
    }
    return { regions, ...parseRule(ctx, problems, rule, path) };
  });
}

function parseTemplate(ctx: Context, input: Omit<UpdateShippingTemplateInput, 'id'>): ParsedTemplate {
  const problems = new Problems();
  const out: ParsedTemplate = {};
  if (input.name != null) out.name = checkText(problems, input.name, ['input', 'name'], 1, 40, 'Name');
  if (input.rules != null) out.rules = parseRegionRules(ctx, problems, input.rules);
  if (input.defaultRule != null) out.defaultRule = parseRule(ctx, problems, input.defaultRule, ['input', 'defaultRule']);
  if (input.freeShippingThreshold !== undefined) {
    out.freeShippingThreshold =
      input.freeShippingThreshold === null ? null : toMinor(input.freeShippingThreshold, ctx.deps.config.currency, problems, ['input', 'freeShippingThreshold']);
  }
  problems.throwIfAny();
  return out;
}

/** Clears the shop's default flag, so another template can take it (the partial unique index allows one). */
async function clearDefault(em: EntityManager, shopId: string): Promise<void> {
  await em.nativeUpdate(ShippingTemplate, { shop: shopId, isDefault: true }, { isDefault: false });
}

/**
 * Locks the shop (serialising its template changes, so "the first template is the default" holds
 * under concurrency) and re-reads the caller's role under the lock.
 */
async function lockShopForTemplates(ctx: Context, em: EntityManager, shopKey: string): Promise<void> {
  const shop = await lockShopAsMember(ctx, em, shopKey, SHIPPING_ROLES);
  if (shop.status === ShopStatus.CLOSED) throw new Failure(UserErrorCode.INVALID_TRANSITION, 'A closed shop cannot be changed');
}

export async function createShippingTemplate(ctx: Context, input: ShippingTemplateInput): Promise<ShippingTemplate> {
  const parsed = parseTemplate(ctx, input);
  const shopKey = input.shopId;
  return ctx.em.transactional(async (em) => {
    await lockShopForTemplates(ctx, em, shopKey);
    const count = await em.count(ShippingTemplate, { shop: shopKey });
    if (count >= MAX_TEMPLATES_PER_SHOP) throw new Failure(UserErrorCode.INVALID_INPUT, `A shop has at most ${MAX_TEMPLATES_PER_SHOP} shipping templates`, ['input', 'shopId']);
    const isDefault = count === 0 || input.isDefault === true;
    if (isDefault) await clearDefault(em, shopKey);
    const template = em.create(ShippingTemplate, {
      shop: shopKey,
      name: parsed.name!,
      isDefault,
      rules: parsed.rules!,
      defaultRule: parsed.defaultRule!,
      freeShippingThreshold: parsed.freeShippingThreshold ?? null,
    });
    await em.flush();
    return template;
  });
}

export async function updateShippingTemplate(ctx: Context, input: UpdateShippingTemplateInput): Promise<ShippingTemplate> {
  const parsed = parseTemplate(ctx, input);
  const key = input.id;
  return ctx.em.transactional(async (em) => {
    const found = await em.findOne(ShippingTemplate, { id: key });
    if (!found) throw new NotFoundError('No such shipping template');
    await lockShopForTemplates(ctx, em, found.shop.id);
    const template = await em.findOneOrFail(ShippingTemplate, { id: key }, { refresh: true });
    if (input.isDefault === false && template.isDefault) {
      throw new Failure(UserErrorCode.INVALID_INPUT, 'Make another template the default instead', ['input', 'isDefault']);
    }
    if (input.isDefault === true && !template.isDefault) {
      await clearDefault(em, template.shop.id);
      template.isDefault = true;
    }
    em.assign(template, parsed);
    await em.flush();
    return template;
  });
}

/** One template by database key for `node(id:)`: the shop's members and staff only. */
export async function visibleShippingTemplate(ctx: Context, key: string): Promise<ShippingTemplate | null> {
  const template = await ctx.em.findOne(ShippingTemplate, { id: key });
  if (!template) return null;
  return (await ctx.viewer.isInsiderOf(template.shop.id)) ? template : null;
}
