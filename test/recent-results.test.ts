import { rememberRecent } from '../src/model/recent-results';

test('remembers results of short inputs, undefined included, and forgets everything when full', () => {
  const calls: string[] = [];
  const lengthUnlessEmpty = rememberRecent(
    (input) => {
      calls.push(input);
      return input === '' ? undefined : input.length;
    },
    2,
    5,
  );
  expect([lengthUnlessEmpty('ab'), lengthUnlessEmpty('ab'), lengthUnlessEmpty(''), lengthUnlessEmpty('')]).toEqual([2, 2, undefined, undefined]);
  expect(calls).toEqual(['ab', '']);
  // Full: the third input empties the memo, so 'ab' is computed again.
  lengthUnlessEmpty('abc');
  lengthUnlessEmpty('ab');
  expect(calls).toEqual(['ab', '', 'abc', 'ab']);
  // Too long to remember: computed every time.
  lengthUnlessEmpty('abcdef');
  lengthUnlessEmpty('abcdef');
  expect(calls.filter((input) => input === 'abcdef')).toHaveLength(2);
});
