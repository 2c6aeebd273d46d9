/**
 * The one-parameter reader (queryParameter) and the whole-query reader (rawQuery) read a
 * query string alike: same decoding, same lower-cased keys, first of repeated keys wins,
 * `null` for a broken escape.
 */
import fc from 'fast-check';
import { queryParameter, rawQuery } from '../src/http/query';

const piece = fc.stringMatching(/^(?:[A-Za-z0-9@.+_-]|%40|%[0-9A-Fa-f]{2}|%[0-9A-Za-z]?|=)*$/);
const query = fc.array(fc.oneof(fc.tuple(piece, piece).map(([key, value]) => `${key}=${value}`), piece), { maxLength: 6 }).map((pairs) => pairs.join('&'));

test('queryParameter(url, name) is rawQuery(url).get(name) for every name the query holds, and a few it does not', () => {
  fc.assert(
    fc.property(query, fc.constantFrom('', '?'), (text, prefix) => {
      const url = `/mail/config-v1.1.xml${prefix}${text}`;
      const all = rawQuery({ originalUrl: url });
      for (const name of [...all.keys(), 'emailaddress', 'email', 'protocol']) expect(queryParameter(url, name)).toBe(all.get(name));
    }),
    { numRuns: 500 },
  );
});

test('the shapes clients send', () => {
  const url = '/mail/config-v1.1.xml?EmailAddress=fred+tag%40example.com&emailaddress=second&broken=%E0%A4%A&flag';
  expect(queryParameter(url, 'emailaddress')).toBe('fred+tag@example.com');
  expect(queryParameter(url, 'broken')).toBeNull();
  expect(queryParameter(url, 'flag')).toBe('');
  expect(queryParameter(url, 'missing')).toBeUndefined();
  expect(queryParameter('/mail/config-v1.1.xml', 'emailaddress')).toBeUndefined();
});

test('values decode as decodeURIComponent decodes them, the escaped @ and all', () => {
  fc.assert(
    fc.property(piece, (value) => {
      let expected: string | null;
      try {
        expected = decodeURIComponent(value.split('=')[0]!);
      } catch {
        expected = null;
      }
      expect(queryParameter(`/x?k=${value.split('=')[0]}`, 'k')).toBe(expected);
    }),
    { numRuns: 1000 },
  );
});
