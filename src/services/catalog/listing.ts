import { AttributeType, type CategoryAttribute, type ProductAttributeValue, type ProductContent, type VariantOption } from '../../entities';
import { type Problems, UserErrorCode } from '../../errors';
import { charLength, checkText, isHttpUrl, toMinor } from '../shared';

/**
 * Product input checks. Two levels: the shape checks every write passes (lengths, URLs, money
 * format, SKU format, 1–100 variants), and the listing standard (商品上架標準) a product must meet
 * to enter review or to stay on sale: a complete title, description and images, every required
 * attribute valid, sensible prices and distinct variants.
 */

export const MAX_VARIANTS = 100;
const SKU = /^[A-Za-z0-9._-]{1,64}$/;

export interface ContentInput {
  title?: string | null;
  description?: string | null;
  tags?: string[] | null;
  imageUrls?: string[] | null;
  attributes?: { name: string; value: string }[] | null;
}

/** Trims and shape-checks the content fields present in `input`; absent ones stay undefined. */
export function parseContent(problems: Problems, input: ContentInput): Partial<Omit<ProductContent, 'categoryId' | 'brandId'>> {
  const out: Partial<Omit<ProductContent, 'categoryId' | 'brandId'>> = {};
  if (input.title != null) out.title = checkText(problems, input.title, ['input', 'title'], 1, 120, 'Title');
  if (input.description != null) out.description = checkText(problems, input.description, ['input', 'description'], 0, 10_000, 'Description');
  if (input.tags != null) {
    if (input.tags.length > 20) problems.add(UserErrorCode.INVALID_INPUT, 'At most 20 tags', ['input', 'tags']);
    out.tags = [...new Set(input.tags.map((t, i) => checkText(problems, t, ['input', 'tags', String(i)], 1, 30, 'A tag').toLowerCase()))];
  }
  if (input.imageUrls != null) {
    if (input.imageUrls.length > 20) problems.add(UserErrorCode.INVALID_INPUT, 'At most 20 images', ['input', 'imageUrls']);
    out.imageUrls = input.imageUrls.map((url, i) => {
      const trimmed = url.trim();
      if (!isHttpUrl(trimmed)) problems.add(UserErrorCode.INVALID_INPUT, 'Image URLs must be http or https URLs', ['input', 'imageUrls', String(i)]);
      return trimmed;
    });
  }
  if (input.attributes != null) {
    const seen = new Set<string>();
    out.attributes = input.attributes.map((a, i) => {
      const name = checkText(problems, a.name, ['input', 'attributes', String(i), 'name'], 1, 40, 'Attribute name');
      const value = checkText(problems, a.value, ['input', 'attributes', String(i), 'value'], 1, 200, 'Attribute value');
      if (seen.has(name.toLowerCase())) problems.add(UserErrorCode.INVALID_INPUT, `Attribute "${name}" is given twice`, ['input', 'attributes', String(i), 'name']);
      seen.add(name.toLowerCase());
      return { name, value };
    });
  }
  return out;
}

export interface VariantInputShape {
  id?: string | null;
  sku: string;
  title: string;
  options: VariantOption[];
  price: string;
  compareAtPrice?: string | null;
  stockOnHand?: number | null;
  lowStockThreshold?: number | null;
}

export interface ParsedVariant {
  id?: string | null;
  sku: string;
  title: string;
  options: VariantOption[];
  price: number;
  compareAtPrice: number | null;
  stockOnHand: number | null;
  lowStockThreshold: number | null;
}

/** Shape-checks a variant list: 1–100 variants, SKU format and uniqueness within the list, money, stock. */
export function parseVariants(problems: Problems, variants: VariantInputShape[], currency: string): ParsedVariant[] {
  if (variants.length < 1 || variants.length > MAX_VARIANTS) {
    problems.add(UserErrorCode.INVALID_INPUT, `A product has 1 to ${MAX_VARIANTS} variants`, ['input', 'variants']);
  }
  const skus = new Set<string>();
  const ids = new Set<string>();
  return variants.map((v, i) => {
    const path = ['input', 'variants', String(i)];
    // One entry per existing variant: its changes (a stock count above all) are made once.
    if (v.id != null) {
      if (ids.has(v.id)) problems.add(UserErrorCode.INVALID_INPUT, 'This variant is already listed in this update', [...path, 'id']);
      ids.add(v.id);
    }
    const sku = v.sku.trim();
    if (!SKU.test(sku)) problems.add(UserErrorCode.INVALID_INPUT, 'SKU must be 1–64 letters, digits, ".", "-" or "_"', [...path, 'sku']);
    else if (skus.has(sku)) problems.add(UserErrorCode.SKU_TAKEN, `SKU ${sku} is used twice in this product`, [...path, 'sku']);
    skus.add(sku);
    const title = checkText(problems, v.title, [...path, 'title'], 1, 80, 'Variant title');
    const names = new Set<string>();
    const options = v.options.map((o, j) => {
      const name = checkText(problems, o.name, [...path, 'options', String(j), 'name'], 1, 40, 'Option name');
      const value = checkText(problems, o.value, [...path, 'options', String(j), 'value'], 1, 40, 'Option value');
      if (names.has(name.toLowerCase())) problems.add(UserErrorCode.INVALID_INPUT, `Option "${name}" is given twice`, [...path, 'options', String(j), 'name']);
      names.add(name.toLowerCase());
      return { name, value };
    });
    if (options.length > 5) problems.add(UserErrorCode.INVALID_INPUT, 'At most 5 options per variant', [...path, 'options']);
    const price = toMinor(v.price, currency, problems, [...path, 'price']) ?? 0;
    const compareAtPrice = v.compareAtPrice == null ? null : toMinor(v.compareAtPrice, currency, problems, [...path, 'compareAtPrice']);
    if (v.stockOnHand != null && (!Number.isInteger(v.stockOnHand) || v.stockOnHand < 0 || v.stockOnHand > 1_000_000)) {
      problems.add(UserErrorCode.INVALID_INPUT, 'Stock on hand must be 0 to 1,000,000', [...path, 'stockOnHand']);
    }
    if (v.lowStockThreshold != null && (!Number.isInteger(v.lowStockThreshold) || v.lowStockThreshold < 0 || v.lowStockThreshold > 1_000_000)) {
      problems.add(UserErrorCode.INVALID_INPUT, 'Low-stock threshold must be 0 to 1,000,000', [...path, 'lowStockThreshold']);
    }
    return { id: v.id, sku, title, options, price, compareAtPrice, stockOnHand: v.stockOnHand ?? null, lowStockThreshold: v.lowStockThreshold ?? null };
  });
}

/** The option values of a variant as one comparable key, independent of order and case. */
function optionsKey(options: VariantOption[]): string {
  return JSON.stringify(options.map((o) => [o.name.toLowerCase(), o.value.toLowerCase()]).sort());
}

/**
 * The listing standard. `prefix` roots the reported field paths: ["input"] when the content comes
 * from the mutation input, ["product"] when a stored product is checked on submit.
 */
export function checkListingContent(
  problems: Problems,
  content: Pick<ProductContent, 'title' | 'description' | 'imageUrls' | 'attributes'>,
  template: CategoryAttribute[],
  prefix: string[],
): void {
  const fail = (message: string, ...field: string[]) => problems.add(UserErrorCode.LISTING_STANDARD, message, [...prefix, ...field]);
  const titleLength = charLength(content.title.trim());
  if (titleLength < 5 || titleLength > 120) fail('A listed title has 5 to 120 characters', 'title');
  if (charLength(content.description.trim()) < 20) fail('A listed product needs a description of at least 20 characters', 'description');
  if (content.imageUrls.length === 0) fail('A listed product needs at least one image', 'imageUrls');
  const given = new Map(content.attributes.map((a, i) => [a.name.toLowerCase(), { value: a.value, index: i }]));
  const known = new Set(template.map((t) => t.name.toLowerCase()));
  for (const attr of template) {
    const entry = given.get(attr.name.toLowerCase());
    if (!entry) {
      if (attr.required) fail(`The category requires the attribute "${attr.name}"`, 'attributes');
      continue;
    }
    const field = ['attributes', String(entry.index), 'value'];
    if (attr.type === AttributeType.NUMBER && !/^-?\d+(\.\d+)?$/.test(entry.value)) fail(`"${attr.name}" must be a number`, ...field);
    if (attr.type === AttributeType.ENUM && !attr.allowedValues.includes(entry.value)) {
      fail(`"${attr.name}" must be one of: ${attr.allowedValues.join(', ')}`, ...field);
    }
  }
  content.attributes.forEach((a: ProductAttributeValue, i) => {
    if (!known.has(a.name.toLowerCase())) fail(`The category has no attribute "${a.name}"`, 'attributes', String(i), 'name');
  });
}

/** The listing standard's variant rules: price above zero, compare-at price not below it, distinct options. */
export function checkListingVariants(
  problems: Problems,
  variants: { price: number; compareAtPrice: number | null | undefined; options: VariantOption[] }[],
  prefix: string[],
): void {
  const seen = new Map<string, number>();
  variants.forEach((v, i) => {
    const path = [...prefix, 'variants', String(i)];
    if (v.price <= 0) problems.add(UserErrorCode.LISTING_STANDARD, 'A listed variant has a price above zero', [...path, 'price']);
    if (v.compareAtPrice != null && v.compareAtPrice < v.price) {
      problems.add(UserErrorCode.LISTING_STANDARD, 'The compare-at price cannot be below the price', [...path, 'compareAtPrice']);
    }
    const key = optionsKey(v.options);
    if (seen.has(key)) problems.add(UserErrorCode.LISTING_STANDARD, `Variants ${seen.get(key)} and ${i} have the same options`, [...path, 'options']);
    else seen.set(key, i);
  });
}
