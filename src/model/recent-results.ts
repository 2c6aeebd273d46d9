/**
 * A memo for pure functions of short strings that requests repeat (domain names, User-Agent
 * strings): the result of each recent input, up to `limit` inputs of at most
 * `maxInputLength` characters. It is emptied when full, so a flood of made-up inputs costs
 * memory up to the bound and no bookkeeping per hit.
 */
export function rememberRecent<T>(compute: (input: string) => T, limit: number, maxInputLength: number): (input: string) => T {
  const recent = new Map<string, T>();
  return (input) => {
    if (input.length > maxInputLength) return compute(input);
    const known = recent.get(input);
    if (known !== undefined || recent.has(input)) return known as T;
    if (recent.size >= limit) recent.clear();
    const result = compute(input);
    recent.set(input, result);
    return result;
  };
}
