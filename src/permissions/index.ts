import { type GraphQLSchema, isObjectType } from 'graphql';
import { applyMiddleware } from 'graphql-middleware';
import { allow, deny, or, shield } from 'graphql-shield';
import type { IRules } from 'graphql-shield';
import { ForbiddenError } from '../errors';
import { StaffRole } from '../entities';
import { isAnyStaff, isSelfOrStaff, isShopMember, isSignedIn, isStaff } from './rules';

/**
 * The one permission tree. Every root field has an explicit rule (a test enforces it); everything
 * not listed is denied. Tenancy is also checked where data is loaded: both, not either.
 */
export const rootRules = {
  Query: {
    me: allow,
    node: allow,
    nodes: allow,
    users: isStaff(StaffRole.ADMIN),
  },
  Mutation: {
    register: allow,
    login: allow,
    refreshSession: allow,
    logout: isSignedIn,
    changePassword: isSignedIn,
    setStaffRoles: isStaff(StaffRole.ADMIN),
  },
} satisfies IRules;

/** Output types with field-level rules. */
const typeRules = {
  User: { '*': allow, email: isSelfOrStaff, staffRoles: isSelfOrStaff, memberships: isSelfOrStaff },
  Shop: { '*': allow, members: or(isShopMember(), isAnyStaff) },
} satisfies IRules;

/** Types whose every field anyone who can reach the object may read. */
const PUBLIC_TYPES = new Set(['PageInfo', 'UserError', 'ShopMember']);

/**
 * Wrapper types (payloads, connections, edges) only carry objects whose own types are guarded, so
 * they are allowed by naming convention; every other type must be listed above.
 */
const WRAPPER = /(Payload|Connection|Edge)$/;

export function permissionTree(schema: GraphQLSchema): IRules {
  const tree: IRules = { ...rootRules, ...typeRules };
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__') || type.name in tree) continue;
    if (WRAPPER.test(type.name) || PUBLIC_TYPES.has(type.name)) tree[type.name] = allow;
  }
  return tree;
}

export function applyPermissions(schema: GraphQLSchema): GraphQLSchema {
  const permissions = shield(permissionTree(schema), {
    fallbackRule: deny,
    allowExternalErrors: true,
    fallbackError: () => new ForbiddenError(),
  });
  return applyMiddleware(schema, permissions);
}
