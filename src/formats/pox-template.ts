/**
 * POX settings answers by splicing: renderPoxSettings() builds an XML tree per request,
 * yet for one provider and hosted domain the answer differs between addresses only where
 * the address's parts are substituted. So the document is rendered once with markers in
 * place of those parts, split at the markers, and each request joins the pieces (kept as
 * bytes) with its own parts, escaped as the XML builder escapes text. An address containing
 * `%` (which could look like a placeholder to substitutePlaceholders) is rendered in full.
 * test/pox-template.property.test.ts checks the result equals renderPoxSettings().
 */
import type { EmailAddress } from '../model/address';
import type { ProviderDefinition } from '../model/provider';
import { renderPoxSettings } from './outlook-pox';

// Private-use characters: no configuration or builder produces them, and the builder
// leaves them as they are.
const MARKERS = { address: '\uE000A\uE000', localPart: '\uE000L\uE000', domain: '\uE000D\uE000' } as const;
type Part = keyof typeof MARKERS;
const MARKER = /\uE000([ALD])\uE000/;
const PART_BY_LETTER: Record<string, Part> = { A: 'address', L: 'localPart', D: 'domain' };

/** The escaping fast-xml-parser's builder applies to text (its default entity list). */
function escapeText(text: string): string {
  // Addresses seldom hold any of these; testing first spares the replacement's callbacks.
  return SPECIAL.test(text) ? text.replace(SPECIALS, (char) => ESCAPES[char]!) : text;
}
const SPECIAL = /[&<>'"]/;
const SPECIALS = /[&<>'"]/g;
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', "'": '&apos;', '"': '&quot;' };

/** The answer's bytes (UTF-8) for an address. */
export type PoxSettingsRenderer = (address: EmailAddress) => Buffer;

/** The settings answer of `provider` for addresses at `domain`, or undefined when Outlook can use none of its servers. */
export function poxSettingsRenderer(provider: ProviderDefinition, domain: string): PoxSettingsRenderer | undefined {
  const marked: EmailAddress = { address: MARKERS.address, localPart: MARKERS.localPart, domain: MARKERS.domain, domainKey: domain };
  const document = renderPoxSettings(provider, { address: marked, domain });
  if (document === undefined) return undefined;
  // split() with a capturing group alternates text and marker letters. The texts are kept
  // encoded, so a request encodes only its address's parts.
  const pieces = document.split(MARKER);
  const texts = pieces.filter((_, index) => index % 2 === 0).map((text) => Buffer.from(text, 'utf8'));
  const parts = pieces.filter((_, index) => index % 2 === 1).map((letter) => PART_BY_LETTER[letter]!);
  return (address) => {
    if (address.address.includes('%')) return Buffer.from(renderPoxSettings(provider, { address, domain })!, 'utf8');
    const chunks: Buffer[] = [texts[0]!];
    for (let index = 0; index < parts.length; index += 1) chunks.push(Buffer.from(escapeText(address[parts[index]!]), 'utf8'), texts[index + 1]!);
    return Buffer.concat(chunks);
  };
}
