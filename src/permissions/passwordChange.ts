import { type DocumentNode, type FieldNode, type FragmentDefinitionNode, GraphQLError, Kind, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';
import { UserErrorCode } from '../errors';

/**
 * What a user who must change their password (risk control saw an unusual sign-in,
 * `users.password_change_required`) may still do: change it, end the session, refresh it, read
 * `me`'s own fields (which say so), and introspect.
 */
export const OPEN_WHILE_PASSWORD_CHANGE_REQUIRED: ReadonlySet<string> = new Set(['changePassword', 'logout', 'refreshSession', 'me', '__typename', '__schema', '__type']);

/** The fragments of a document by name. */
function fragmentsOf(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  return fragments;
}

/** The fields a selection set selects at its own level, through fragments and inline fragments. */
function fieldsOf(set: SelectionSetNode, fragments: Map<string, FragmentDefinitionNode>): FieldNode[] {
  const fields: FieldNode[] = [];
  const seen = new Set<string>();
  const walk = (s: SelectionSetNode) => {
    for (const selection of s.selections) {
      if (selection.kind === Kind.FIELD) fields.push(selection);
      else if (selection.kind === Kind.INLINE_FRAGMENT) walk(selection.selectionSet);
      else if (!seen.has(selection.name.value)) {
        seen.add(selection.name.value);
        const fragment = fragments.get(selection.name.value);
        if (fragment) walk(fragment.selectionSet);
      }
    }
  };
  walk(set);
  return fields;
}

/** The root field names an operation selects, through fragments and inline fragments. */
export function rootFieldNames(document: DocumentNode, operation: OperationDefinitionNode): Set<string> {
  return new Set(fieldsOf(operation.selectionSet, fragmentsOf(document)).map((f) => f.name.value));
}

/**
 * True when every root field is open while a password change is required; `me` only with its own
 * scalar fields (its shops, orders and the rest stay closed until the password changes).
 */
function onlyOpenFields(document: DocumentNode, operation: OperationDefinitionNode): boolean {
  const fragments = fragmentsOf(document);
  return fieldsOf(operation.selectionSet, fragments).every((field) => {
    if (!OPEN_WHILE_PASSWORD_CHANGE_REQUIRED.has(field.name.value)) return false;
    if (field.name.value !== 'me' || !field.selectionSet) return true;
    return fieldsOf(field.selectionSet, fragments).every((inner) => !inner.selectionSet);
  });
}

/**
 * The error refusing an operation of a user who must change their password, or undefined when
 * the user need not or the operation only uses what stays open. One check for every transport:
 * HTTP (the Apollo plugin in src/apollo.ts) and subscriptions (src/realtime/ws.ts).
 */
export function passwordChangeRefusal(
  user: { passwordChangeRequired?: boolean } | null | undefined,
  document: DocumentNode,
  operation: OperationDefinitionNode,
): GraphQLError | undefined {
  if (!user?.passwordChangeRequired || onlyOpenFields(document, operation)) return undefined;
  return new GraphQLError('Change your password (changePassword) before anything else', {
    extensions: { code: UserErrorCode.PASSWORD_CHANGE_REQUIRED, http: { status: 403 } },
  });
}
