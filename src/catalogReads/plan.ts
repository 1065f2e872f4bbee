import {
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  Kind,
  type OperationDefinitionNode,
  parse,
  type SelectionSetNode,
  specifiedRules,
  validate,
  type ValidationRule,
} from 'graphql';

/**
 * Which operations the compiled catalog reads answer: a query whose root fields are `products`,
 * `product` and `__typename` only, selecting only the fields below (the public catalog: nothing a
 * permission rule guards, nothing that depends on the clock). Anything else is answered by Apollo.
 * Each entry names the field's object type, or `true` for a leaf.
 */
export const SUPPORTED: Record<string, Record<string, string | true>> = {
  Query: { __typename: true, products: 'ProductConnection', product: 'Product' },
  ProductConnection: { __typename: true, totalCount: true, pageInfo: 'PageInfo', nodes: 'Product', edges: 'ProductEdge', facets: 'ProductFacets' },
  ProductEdge: { __typename: true, cursor: true, node: 'Product' },
  PageInfo: { __typename: true, hasNextPage: true, hasPreviousPage: true, startCursor: true, endCursor: true },
  ProductFacets: { __typename: true, categories: 'CategoryFacet', brands: 'BrandFacet' },
  CategoryFacet: { __typename: true, category: 'Category', count: true },
  BrandFacet: { __typename: true, brand: 'Brand', count: true },
  Product: {
    __typename: true,
    id: true,
    title: true,
    description: true,
    imageUrls: true,
    tags: true,
    salesCount: true,
    listedAt: true,
    createdAt: true,
    status: true,
    attributes: 'ProductAttributeValue',
    priceRange: 'MoneyRange',
    shop: 'Shop',
    brand: 'Brand',
    category: 'Category',
    breadcrumb: 'Category',
    variants: 'ProductVariant',
    rating: 'Rating',
  },
  ProductVariant: { __typename: true, id: true, sku: true, title: true, inStock: true, price: 'Money', compareAtPrice: 'Money', options: 'VariantOption', createdAt: true },
  ProductAttributeValue: { __typename: true, name: true, value: true },
  VariantOption: { __typename: true, name: true, value: true },
  MoneyRange: { __typename: true, min: 'Money', max: 'Money' },
  Money: { __typename: true, amount: true, amountMinor: true, currency: true },
  Shop: { __typename: true, id: true, name: true, slug: true, logoUrl: true },
  Brand: { __typename: true, id: true, name: true, slug: true, logoUrl: true },
  Category: { __typename: true, id: true, name: true, slug: true, depth: true },
  Rating: { __typename: true, average: true, count: true, distribution: true, aspects: 'RatingAspects' },
  RatingAspects: { __typename: true, description: true, service: true, logistics: true, count: true },
};

/** One response key of an object: the field it reads and, for an object field, its own selection. */
export interface Selected {
  key: string;
  field: string;
  /** The field's node (the first, when a key is selected more than once): arguments of root fields. */
  node: FieldNode;
  /** The object type of an object field, and what of it is selected. */
  type?: string;
  selection: Selected[];
}

export interface Plan {
  operation: OperationDefinitionNode;
  roots: Selected[];
  /** Whether the answer depends on who asks (a product's `status`: a pending edit shows to its shop only). */
  personal: boolean;
}

const selects = (list: Selected[], field: string): boolean => list.some((s) => s.field === field || selects(s.selection, field));

class Unsupported extends Error {}

/**
 * The response keys of `set` on an object of `type`, in response order, merged as graphql-js
 * collects them (fragments spread, a key selected twice merged). Throws Unsupported for anything
 * outside SUPPORTED: directives, arguments below the root, fragments on other types.
 */
function collect(type: string, sets: readonly SelectionSetNode[], fragments: Map<string, FragmentDefinitionNode>, depth: number): Selected[] {
  const fields = SUPPORTED[type];
  if (!fields || depth > 12) throw new Unsupported();
  const byKey = new Map<string, { field: string; nodes: FieldNode[] }>();
  const visit = (set: SelectionSetNode, seen: Set<string>) => {
    for (const s of set.selections) {
      if (s.directives?.length) throw new Unsupported();
      if (s.kind === Kind.FIELD) {
        const key = s.alias?.value ?? s.name.value;
        const entry = byKey.get(key);
        if (entry) {
          if (entry.field !== s.name.value) throw new Unsupported();
          entry.nodes.push(s);
        } else {
          byKey.set(key, { field: s.name.value, nodes: [s] });
        }
      } else if (s.kind === Kind.INLINE_FRAGMENT) {
        if (s.typeCondition && s.typeCondition.name.value !== type) throw new Unsupported();
        visit(s.selectionSet, seen);
      } else {
        const fragment = fragments.get(s.name.value);
        if (!fragment || fragment.typeCondition.name.value !== type || seen.has(s.name.value)) throw new Unsupported();
        visit(fragment.selectionSet, new Set([...seen, s.name.value]));
      }
    }
  };
  for (const set of sets) visit(set, new Set());
  return [...byKey].map(([key, { field, nodes }]) => {
    const target = fields[field];
    if (target === undefined) throw new Unsupported();
    if (type !== 'Query' && nodes.some((n) => n.arguments?.length)) throw new Unsupported();
    if (target === true) return { key, field, node: nodes[0], selection: [] };
    const sets = nodes.map((n) => n.selectionSet).filter((x): x is SelectionSetNode => x !== undefined);
    return { key, field, node: nodes[0], type: target, selection: collect(target, sets, fragments, depth + 1) };
  });
}

/**
 * The plan of a request's document and operation name, or null when the compiled reads do not
 * answer it (Apollo then does, with its own errors for anything invalid). Validated with the same
 * rules as Apollo's (the specified rules and the server's limits).
 */
export function planOf(schema: GraphQLSchema, rules: readonly ValidationRule[], query: string, operationName: string | undefined): Plan | null {
  let document: DocumentNode;
  try {
    document = parse(query, { maxTokens: 5000, noLocation: true });
  } catch {
    return null;
  }
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations.length === 1 ? operations[0] : undefined;
  if (!operation || operation.operation !== 'query' || operation.directives?.length) return null;
  if (validate(schema, document, [...specifiedRules, ...rules]).length) return null;
  const fragments = new Map(document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((f) => [f.name.value, f]));
  try {
    const roots = collect('Query', [operation.selectionSet], fragments, 0);
    // A page of products is the work; __typename alone is Apollo's.
    if (!roots.some((r) => r.field !== '__typename')) return null;
    return { operation, roots, personal: selects(roots, 'status') };
  } catch (err) {
    if (err instanceof Unsupported) return null;
    throw err;
  }
}
