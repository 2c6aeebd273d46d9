/**
 * The one place where HTML is written. `html` is a tagged template whose interpolations
 * are escaped by construction: a value becomes markup only if it is itself the result of
 * `html`, so text from a request or a provider file can never change a page's structure.
 */

/** Markup built by `html`; the only kind of value inserted without escaping. */
export class SafeHtml {
  constructor(readonly markup: string) {}

  toString(): string {
    return this.markup;
  }
}

/** What may appear in `${...}`: text (escaped), markup, lists of either, or nothing. */
export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

// Controls (but tab, LF and CR), lone surrogates and non-characters are parse errors in
// HTML; the page echoes what a person typed, so they become U+FFFD there.
const ESCAPED = /[&<>"']|(?![\t\n\r])[\p{Cc}\p{Cs}\p{Noncharacter_Code_Point}]/gu;

/** Escapes text for element content and for quoted attribute values alike. */
export function escapeHtml(text: string): string {
  return text.replace(ESCAPED, (character) => ESCAPES[character] ?? '\uFFFD');
}

function toMarkup(value: HtmlValue): string {
  if (value instanceof SafeHtml) return value.markup;
  if (Array.isArray(value)) return value.map(toMarkup).join('');
  // null, undefined and false render as nothing, so `${condition && html`...`}` reads naturally.
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: readonly HtmlValue[]): SafeHtml {
  let markup = strings[0] ?? '';
  values.forEach((value, index) => {
    markup += toMarkup(value) + (strings[index + 1] ?? '');
  });
  return new SafeHtml(markup);
}
