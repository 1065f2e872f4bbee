import {
  defaultFieldResolver,
  getNamedType,
  getNullableType,
  type GraphQLArgument,
  type GraphQLInputType,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
} from 'graphql';
import { Extensions } from 'type-graphql';
import { BadInputError, UserErrorCode } from '../../errors';
import { type TextFault, textFault, textFaultMessage } from '../../services/shared/validation';

/**
 * The text rule at the API boundary: before any resolver runs, every string in its (coerced)
 * arguments — String and ID values, in input objects and lists at any depth — is checked by
 * `textFault`: no lone UTF-16 surrogate, no control character, except tabs and line breaks in
 * fields marked `@Multiline()`. Trimming and length bounds stay with the services, which know the
 * field; this is the one rule no field may skip.
 *
 * A refused mutation answers like a service's failure: its payload's `errors` holds an
 * INVALID_INPUT per offending field, `field` its path (["input", "variants", "0", "title"]).
 * Anything else (a query's arguments, a field's) throws BAD_USER_INPUT with `extensions.field`,
 * the path joined with dots ("filter.search"), as the services' own argument checks do.
 * Permissions are checked first: the shield tree wraps this.
 */

const MULTILINE = 'multiline';

/** Marks an input field whose text may span lines: tabs and line breaks (\t \n \r) are allowed in it. */
export function Multiline() {
  return Extensions({ [MULTILINE]: true });
}

/** At most this many faults are reported per request; the first is the one thrown. */
const MAX_REPORTED = 20;

interface Fault {
  path: string[];
  fault: TextFault;
  multiline: boolean;
}

/** Wraps (in place) the resolver of every field whose arguments can carry text; returns the schema. */
export function applyTextRule(schema: GraphQLSchema): GraphQLSchema {
  const carries = carriesText(new Map());
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      if (!field.args.some((arg) => carries(arg.type))) continue;
      const resolve = field.resolve ?? defaultFieldResolver;
      const refuse = refusal(field.type);
      const args = field.args;
      field.resolve = (source, values, context, info) => {
        const faults = findFaults(args, values);
        return faults.length > 0 ? refuse(faults) : resolve(source, values, context, info);
      };
    }
  }
  return schema;
}

/** Whether a value of an input type can hold a string (memoised per input object type). */
function carriesText(memo: Map<string, boolean>) {
  const carries = (type: GraphQLInputType): boolean => {
    const named = getNamedType(type);
    if (isEnumType(named)) return false;
    if (!isInputObjectType(named)) return !['Int', 'Float', 'Boolean'].includes(named.name);
    const known = memo.get(named.name);
    if (known !== undefined) return known;
    memo.set(named.name, false);
    const result = Object.values(named.getFields()).some((f) => carries(f.type));
    memo.set(named.name, result);
    return result;
  };
  return carries;
}

export function findFaults(args: readonly GraphQLArgument[], values: Record<string, unknown>): Fault[] {
  const faults: Fault[] = [];
  const walk = (type: GraphQLInputType, value: unknown, path: string[], multiline: boolean): void => {
    if (value == null || faults.length >= MAX_REPORTED) return;
    if (isNonNullType(type)) return walk(type.ofType, value, path, multiline);
    if (isListType(type)) {
      if (Array.isArray(value)) value.forEach((item, i) => walk(type.ofType, item, [...path, String(i)], multiline));
      return;
    }
    if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) {
        walk(field.type, (value as Record<string, unknown>)[field.name], [...path, field.name], field.extensions[MULTILINE] === true);
      }
      return;
    }
    // Enum values come from the schema; scalars other than strings (numbers, dates) hold no text.
    if (isEnumType(type) || typeof value !== 'string') return;
    const fault = textFault(value, multiline);
    if (fault) faults.push({ path, fault, multiline });
  };
  for (const arg of args) walk(arg.type, values[arg.name], [arg.name], false);
  return faults;
}

const messageOf = ({ path, fault, multiline }: Fault) => textFaultMessage(`\`${path.join('.')}\``, fault, multiline);

/**
 * How a field refuses input: a mutation payload (`errors: [UserError!]!`, every other field
 * nullable) carries the faults; any other field throws the first.
 */
function refusal(type: GraphQLOutputType): (faults: Fault[]) => unknown {
  const target = getNullableType(type);
  if (isObjectType(target) && isPayload(target)) {
    return (faults) => ({ errors: faults.map((f) => ({ code: UserErrorCode.INVALID_INPUT, field: f.path, message: messageOf(f) })) });
  }
  return ([first]) => {
    throw new BadInputError(messageOf(first), first.path.join('.'));
  };
}

function isPayload(type: GraphQLObjectType): boolean {
  const fields = type.getFields();
  const errors = fields.errors;
  if (!errors || !isListType(getNullableType(errors.type)) || getNamedType(errors.type).name !== 'UserError') return false;
  return Object.values(fields).every((f) => f === errors || !isNonNullType(f.type));
}
