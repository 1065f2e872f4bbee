import { GraphQLError, GraphQLScalarType, Kind, type ValueNode } from 'graphql';
import { DateResolver, DateTimeResolver } from 'graphql-scalars';

const DECIMAL = /^-?\d{1,12}(\.\d{1,8})?$/;

/**
 * Decimal: exact decimal numbers as strings on output ("0.0500", "19.90"); on input a string or a
 * number ("19.90" or 19.9). Never a float inside the server: values stay strings until stored as
 * numeric or converted to integer minor units.
 */
export const DecimalScalar = new GraphQLScalarType<string, string>({
  name: 'Decimal',
  description: 'An exact decimal number, written as a string such as "19.90" (inputs also accept a JSON number such as 19.9).',
  serialize(value) {
    if (typeof value === 'string' && DECIMAL.test(value)) return value;
    if (typeof value === 'number' && Number.isFinite(value)) return String(value);
    throw new GraphQLError('Decimal cannot represent this value');
  },
  parseValue(value) {
    return parseDecimal(value);
  },
  parseLiteral(ast) {
    if (ast.kind === Kind.STRING || ast.kind === Kind.FLOAT || ast.kind === Kind.INT) return parseDecimal(ast.value);
    throw new GraphQLError('Decimal must be a string or a number', { extensions: { code: 'BAD_USER_INPUT' } });
  },
});

function parseDecimal(value: unknown): string {
  const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
  if (typeof text !== 'string' || !DECIMAL.test(text.trim())) {
    throw new GraphQLError('Decimal must look like "19.90" or 19.9', { extensions: { code: 'BAD_USER_INPUT' } });
  }
  return text.trim();
}

/**
 * The instants a DateTime input may name: years 0001 to 9999 in UTC. PostgreSQL's timestamptz
 * spans 4713 BC to 294276 AD, but year 0 and five-digit years do not survive the trip through
 * the driver ("date/time field value out of range"), and no business date lies outside these.
 */
const EARLIEST = Date.parse('0001-01-01T00:00:00.000Z');
const LATEST = Date.parse('9999-12-31T23:59:59.999Z');

function storable(date: Date, node?: ValueNode): Date {
  const time = date.getTime();
  if (time < EARLIEST || time > LATEST) {
    throw new GraphQLError('DateTime must lie between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z (UTC)', {
      nodes: node,
      extensions: { code: 'BAD_USER_INPUT' },
    });
  }
  return date;
}

/**
 * DateTime: graphql-scalars' RFC 3339 date-time, serialised as before, whose inputs must also be
 * instants the database can store (see EARLIEST and LATEST), as variables and as literals.
 */
export const DateTimeScalar = new GraphQLScalarType<Date, Date>({
  ...DateTimeResolver.toConfig(),
  description: `${DateTimeResolver.description} Inputs lie between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z (UTC).`,
  parseValue: (value) => storable(DateTimeResolver.parseValue(value)),
  parseLiteral: (node, variables) => storable(DateTimeResolver.parseLiteral(node, variables), node),
});

/** A calendar day as a service reads it: "YYYY-MM-DD", years 0001 to 9999. */
function calendarDay(date: Date, node?: ValueNode): string {
  const day = date.toISOString().slice(0, 10);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || day.startsWith('0000')) {
    throw new GraphQLError('Date must lie between 0001-01-01 and 9999-12-31', { nodes: node, extensions: { code: 'BAD_USER_INPUT' } });
  }
  return day;
}

/**
 * Date: a calendar day, graphql-scalars' RFC 3339 full-date ("2026-12-06"), with no time or zone of
 * its own (the field that takes it says which zone's day it means). Services receive it as the
 * "YYYY-MM-DD" string, never as a Date, so no zone creeps in.
 */
export const CalendarDateScalar = new GraphQLScalarType<string, string>({
  name: 'Date',
  description: `${DateResolver.description} Years 0001 to 9999.`,
  serialize: (value) => DateResolver.serialize(value),
  parseValue: (value) => calendarDay(DateResolver.parseValue(value)),
  parseLiteral: (node, variables) => calendarDay(DateResolver.parseLiteral(node, variables), node),
});
