import { currencyDigits } from '../services/shared';
import type { Selected } from './plan';

/**
 * SQL expressions that build a selection's JSON in PostgreSQL, exactly as the GraphQL resolvers
 * would answer it (src/resolvers/catalog): global IDs, timestamps in ISO 8601 with milliseconds,
 * money as a decimal string in the currency's digits, ratings rounded as ratingOf rounds them.
 * Keys come out in selection order (json_build_object keeps its arguments' order).
 */

/** A statement's parameters, numbered as they are added ($1, $2 …). */
export class Params {
  readonly values: unknown[] = [];

  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }

  /**
   * `sql` written with `?` placeholders (the services' style), numbered from here; an array value
   * becomes a list of parameters, as knex expands it.
   */
  inline(sql: string, params: readonly unknown[]): string {
    let i = 0;
    return sql.replace(/\?/g, () => {
      if (i >= params.length) throw new Error('more placeholders than parameters');
      const value = params[i++];
      return Array.isArray(value) ? value.map((v) => this.add(v)).join(', ') : this.add(value);
    });
  }
}

const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;

/**
 * base64url of `Type:key`, as toGlobalId writes it: short enough that encode never wraps a line,
 * and ASCII without backslashes, so the text's bytes are the bytea as they are.
 */
export const globalIdSql = (type: string, key: string) => `translate(encode((${quote(`${type}:`)} || ${key})::bytea, 'base64'), '+/=', '-_')`;

/** A timestamptz as Date#toISOString writes it. */
export const isoSql = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

export interface SqlScope {
  currency: string;
  /** The parameter holding the viewer's user id (null when anonymous), added when first used: `status` hides a pending edit from anyone outside the shop. */
  viewer(): string;
  /**
   * A row of `table` whose id is `column`, joined to the statement's FROM (`left join`): its alias.
   * One join per table and column; the statement adds `joins` after its FROM.
   */
  join(table: 'shop' | 'brand' | 'category', column: string): string;
  readonly joins: string[];
}

/** A scope whose joins are collected for the statement's FROM. */
export function sqlScope(currency: string, viewer: () => string): SqlScope {
  const joins: string[] = [];
  const aliases = new Map<string, string>();
  return {
    currency,
    viewer,
    joins,
    join(table, column) {
      const key = `${table}\0${column}`;
      let alias = aliases.get(key);
      if (!alias) {
        alias = `j${aliases.size + 1}`;
        aliases.set(key, alias);
        joins.push(`left join ${table} ${alias} on ${alias}.id = ${column}`);
      }
      return alias;
    },
  };
}

type Builder = (sel: Selected, alias: string, scope: SqlScope) => string;

function object(fields: Selected[], build: (f: Selected) => string): string {
  if (fields.length > 50) throw new Error('too many fields for json_build_object');
  return `json_build_object(${fields.map((f) => `${quote(f.key)}, ${build(f)}`).join(', ')})`;
}

/** A JSON array of `element` over `from` ordered by `order`; [] when empty. */
const list = (element: string, from: string, order: string) => `coalesce((select json_agg(${element} order by ${order}) ${from}), '[]'::json)`;

const typename = (type: string) => quote(type);

function money(sel: Selected, column: string, scope: SqlScope): string {
  const digits = currencyDigits(scope.currency);
  return object(sel.selection, (f) => {
    switch (f.field) {
      case 'amount':
        return `round(${column}::numeric / ${10 ** digits}, ${digits})::text`;
      case 'amountMinor':
        return `${column}`;
      case 'currency':
        return quote(scope.currency);
      default:
        return typename('Money');
    }
  });
}

/** name/value pairs kept as jsonb arrays (product attributes, variant options). */
function pairs(sel: Selected, column: string, type: string): string {
  const element = object(sel.selection, (f) => (f.field === '__typename' ? typename(type) : `e.value->>${quote(f.field)}`));
  return list(element, `from jsonb_array_elements(${column}) with ordinality as e(value, n)`, 'e.n');
}

/** A joined row's JSON, null when there is none (a product without a brand). */
const joined = (alias: string, json: string) => `case when ${alias}.id is not null then ${json} end`;

const round2 = (sum: string, count: string) => `floor((${sum}::float8 / ${count}) * 100 + 0.5) / 100`;

function rating(sel: Selected, p: string): string {
  return object(sel.selection, (f) => {
    switch (f.field) {
      case 'average':
        return `case when ${p}.rating_count > 0 then ${round2(`${p}.rating_sum`, `${p}.rating_count`)} end`;
      case 'count':
        return `${p}.rating_count`;
      case 'distribution':
        return `to_json(${p}.rating_distribution)`;
      case 'aspects':
        return `case when ${p}.aspect_count > 0 then ${object(f.selection, (a) =>
          a.field === 'count' ? `${p}.aspect_count` : a.field === '__typename' ? typename('RatingAspects') : round2(`${p}.aspect_${a.field}_sum`, `${p}.aspect_count`),
        )} end`;
      default:
        return typename('Rating');
    }
  });
}

/** Shop, Brand and Category rows: their public columns. */
function node(type: 'Shop' | 'Brand' | 'Category', sel: Selected, alias: string): string {
  return object(sel.selection, (f) => {
    switch (f.field) {
      case '__typename':
        return typename(type);
      case 'id':
        return globalIdSql(type, `${alias}.id`);
      case 'logoUrl':
        return `${alias}.logo_url`;
      default:
        // name, slug, depth
        return `${alias}.${f.field}`;
    }
  });
}

const variant: Builder = (sel, v, scope) =>
  object(sel.selection, (f) => {
    switch (f.field) {
      case '__typename':
        return typename('ProductVariant');
      case 'id':
        return globalIdSql('ProductVariant', `${v}.id`);
      case 'sku':
      case 'title':
        return `${v}.${f.field}`;
      case 'inStock':
        return `${v}.on_hand > ${v}.reserved`;
      case 'price':
        return money(f, `${v}.price`, scope);
      case 'compareAtPrice':
        return `case when ${v}.compare_at_price is not null then ${money(f, `${v}.compare_at_price`, scope)} end`;
      case 'options':
        return pairs(f, `${v}.options`, 'VariantOption');
      case 'createdAt':
        return isoSql(`${v}.created_at`);
      default:
        throw new Error(`unsupported ProductVariant.${f.field}`);
    }
  });

/** A product's JSON, `p` being a row of `product` (or a subquery of its columns). */
export const productJson: Builder = (sel, p, scope) =>
  object(sel.selection, (f) => {
    switch (f.field) {
      case '__typename':
        return typename('Product');
      case 'id':
        return globalIdSql('Product', `${p}.id`);
      case 'title':
      case 'description':
        return `${p}.${f.field}`;
      case 'imageUrls':
        return `to_json(${p}.image_urls)`;
      case 'tags':
        return `to_json(${p}.tags)`;
      case 'salesCount':
        return `${p}.sales_count`;
      case 'listedAt':
        return isoSql(`${p}.listed_at`);
      case 'createdAt':
        return isoSql(`${p}.created_at`);
      case 'status':
        // As ProductResolver.status: a pending edit of a product on sale is private to the shop and staff (staff never come here).
        return `case when ${p}.status = 'PENDING_REVIEW' and ${p}.listed and not exists (select 1 from shop_member m where m.shop_id = ${p}.shop_id and m.user_id = ${scope.viewer()}) then 'ACTIVE' else ${p}.status end`;
      case 'attributes':
        return pairs(f, `${p}.attributes`, 'ProductAttributeValue');
      case 'priceRange':
        return object(f.selection, (m) => (m.field === '__typename' ? typename('MoneyRange') : money(m, `${p}.${m.field}_price`, scope)));
      // Joined rather than a subquery per product (a subplan per row costs PostgreSQL more than the join).
      case 'shop':
        return joined(scope.join('shop', `${p}.shop_id`), node('Shop', f, scope.join('shop', `${p}.shop_id`)));
      case 'brand':
        return joined(scope.join('brand', `${p}.brand_id`), node('Brand', f, scope.join('brand', `${p}.brand_id`)));
      case 'category':
        return joined(scope.join('category', `${p}.category_id`), node('Category', f, scope.join('category', `${p}.category_id`)));
      case 'breadcrumb':
        return list(node('Category', f, 'c'), `from unnest(string_to_array(${p}.category_path, '/')) with ordinality as x(id, n) join category c on c.id = nullif(x.id, '')::bigint`, 'x.n');
      case 'variants':
        return list(variant(f, 'v', scope), `from product_variant v where v.product_id = ${p}.id and not v.archived`, 'v.position, v.id');
      case 'rating':
        return rating(f, p);
      default:
        throw new Error(`unsupported Product.${f.field}`);
    }
  });

/** The JSON of a category or brand facet's object, `alias` being its row. */
export const facetNodeJson = (type: 'Category' | 'Brand', sel: Selected, alias: string) => node(type, sel, alias);
