/**
 * "Did you mean …?" for configuration errors: which known names a misspelt field or value
 * was probably meant to be, and which names a schema knows at one place of a file.
 */
import type { z } from 'zod';

/**
 * Edits between two words, counting a swap of neighbours as one edit (optimal string
 * alignment distance), since `hostnmae` is one slip of the fingers, not two.
 */
export function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i += 1) {
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = best;
    }
  }
  return rows[a.length]![b.length]!;
}

/**
 * The known names closest to `given`, ignoring case, when close enough to be a slip: one
 * edit in a short name, two from five letters, three from nine. Empty when nothing is.
 */
export function closestNames(given: string, known: readonly string[]): string[] {
  const word = given.toLowerCase();
  const limit = word.length <= 4 ? 1 : word.length <= 8 ? 2 : 3;
  let best = Infinity;
  let names: string[] = [];
  for (const name of known) {
    const distance = editDistance(word, name.toLowerCase());
    if (distance > limit || distance > best) continue;
    if (distance < best) names = [];
    best = distance;
    names.push(name);
  }
  return names.filter((name) => name !== given);
}

/** `a`, `a or b`, `a, b or c` */
export function alternatives(names: readonly string[]): string {
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
}

type AnySchema = z.core.$ZodType;

/**
 * The field names the schema knows at `path` of `input`: what a misspelt field there should
 * be compared with. Looks through optional, default, transform and union wrappers; of a
 * union's object options it takes the one that fits the entry best (the `type: pop3` entry
 * knows `pop3`, an `imap` entry does not).
 */
export function knownKeysAt(schema: AnySchema, path: readonly PropertyKey[], input: unknown): string[] {
  let schemas: AnySchema[] = [schema];
  let value = input;
  for (const segment of path) {
    const objects = schemas.flatMap(objectSchemas);
    if (objects.length > 0) {
      const object = bestFit(objects, value);
      schemas = object ? fieldSchema(object, segment) : [];
    } else {
      schemas = schemas.flatMap(unwrapped).flatMap((inner) => elementSchema(inner, segment));
    }
    value = typeof value === 'object' && value !== null ? (value as Record<PropertyKey, unknown>)[segment] : undefined;
  }
  const object = bestFit(schemas.flatMap(objectSchemas), value);
  return object ? shapeKeys(object) : [];
}

/** Of several object schemas, the one a value was most likely meant for. */
function bestFit(objects: readonly AnySchema[], value: unknown): AnySchema | undefined {
  const given = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  let best: AnySchema | undefined;
  let bestScore = -1;
  for (const object of objects) {
    const shape = (object as z.core.$ZodObject)._zod.def.shape;
    // A discriminator that matches (type: pop3) counts for more than any number of shared fields.
    const discriminated = Object.entries(shape).some(([key, field]) => key in given && literalMatches(field, given[key]));
    const score = Object.keys(given).filter((key) => key in shape).length + (discriminated ? 1000 : 0);
    if (score > bestScore) {
      bestScore = score;
      best = object;
    }
  }
  return best;
}

function literalMatches(field: AnySchema, given: unknown): boolean {
  return unwrapped(field).some((inner) => inner._zod.def.type === 'literal' && (inner as z.core.$ZodLiteral)._zod.def.values.includes(given as never));
}

const shapeKeys = (object: AnySchema): string[] => Object.keys((object as z.core.$ZodObject)._zod.def.shape);

function fieldSchema(object: AnySchema, segment: PropertyKey): AnySchema[] {
  const field = (object as z.core.$ZodObject)._zod.def.shape[String(segment)];
  return field ? [field] : [];
}

function elementSchema(schema: AnySchema, segment: PropertyKey): AnySchema[] {
  const def = schema._zod.def;
  if (def.type === 'array' && typeof segment === 'number') return [(def as z.core.$ZodArrayDef).element];
  if (def.type === 'record') return [(def as z.core.$ZodRecordDef).valueType];
  return [];
}

/** The object schemas a value at this place may be validated against. */
function objectSchemas(schema: AnySchema): AnySchema[] {
  return unwrapped(schema).filter((inner) => inner._zod.def.type === 'object');
}

/** The schemas that actually look at a value, past optional/default/transform/union wrappers. */
function unwrapped(schema: AnySchema): AnySchema[] {
  const def = schema._zod.def as z.core.$ZodTypeDef & {
    innerType?: AnySchema;
    in?: AnySchema;
    out?: AnySchema;
    options?: readonly AnySchema[];
  };
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'catch':
    case 'readonly':
    case 'nonoptional':
      return def.innerType ? unwrapped(def.innerType) : [];
    case 'pipe':
      // A transform after a schema (`.transform()`) or before one (`z.preprocess`): the schema is the side that is not a transform.
      return [def.in, def.out].flatMap((side) => (side && side._zod.def.type !== 'transform' ? unwrapped(side) : []));
    case 'union':
      return (def.options ?? []).flatMap(unwrapped);
    default:
      return [schema];
  }
}
