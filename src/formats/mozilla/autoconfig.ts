/**
 * Mozilla autoconfig (config-v1.1.xml), read by Thunderbird, Thunderbird for Android,
 * Evolution, KMail, Geary, Delta Chat, FairEmail and others (docs/endpoints.md#mozilla-autoconfig).
 * The document depends only on the provider: placeholders stay for the client to fill,
 * because some clients send placeholder or mangled addresses (docs/endpoints.md#placeholders).
 * Element names and tokens are exact: Thunderbird matches them
 * case-sensitively and drops what it does not recognise (docs/endpoints.md#what-thunderbird-accepts).
 *
 * Autoconfig 1.2 additions (docs/endpoints.md#autoconfig-draft-additions) are written only in forms a 1.1 client
 * skips without losing anything it could use: other servers (`otherIncoming`) are
 * incomingServer sections of types Thunderbird does not know (it drops just that section). Elements with a 1.2
 * attribute (`authentication system=…`, `domain purpose="mx"`) reach Thunderbird's
 * sanitizer as objects (TB-JXON), which match no token or host name, so it skips them;
 * the generic methods always follow (the model defaults them) and the plain domains are
 * never empty, so every server and the file itself stay usable (docs/endpoints.md#what-thunderbird-accepts).
 */
import type { ProviderDefinition } from '../../model/provider';
import { PROVIDER_FIELDS, SERVER_FIELDS, VERSION_12_SERVER_TYPES, appliesTo, type Block, type FieldEntry } from './config-v11';
import { ATTRIBUTE, TEXT, renderXml, type XmlTree, type XmlValue } from '../common/xml';

export const MOZILLA_CONTENT_TYPE = 'text/xml; charset=utf-8';

/** `extraDocumentation` comes before the provider's own links (the setup page, when it has a public URL). */
export function renderMozillaAutoconfig(provider: ProviderDefinition, extraDocumentation: ProviderDefinition['documentation'] = []): string {
  const fields = { ...provider, documentation: [...extraDocumentation, ...provider.documentation] };
  const level = (underEmailProvider: boolean) => PROVIDER_FIELDS.filter((entry) => entry.underEmailProvider === underEmailProvider);
  const used: VersionUsed = { version12: false };
  // The version attribute comes first but depends on what the rest writes: its place is kept, its value set after.
  const clientConfig: XmlTree = { [`${ATTRIBUTE}version`]: undefined };
  clientConfig.emailProvider = renderBlock(level(true), fields, used);
  Object.assign(clientConfig, renderBlock(level(false), fields, used));
  clientConfig[`${ATTRIBUTE}version`] = used.version12 ? '1.2' : '1.1';
  return renderXml({ clientConfig });
}

/** Whether anything written so far exists only in autoconfig 1.2 (entries marked `since: '1.2'`, 1.2 server types). */
interface VersionUsed {
  version12: boolean;
}

/**
 * The element tree of one model object, walking its table in order. Entries naming the
 * same element add to one list (domains then MX domains; SASL then generic methods). A
 * field with several entries is written where its first entry stands, its items in the
 * model's order, each by the first entry whose codec takes it (HTTP methods with
 * `system="http"`, the others plain), since their order is the client's preference.
 */
function renderBlock(block: Block, object: Record<string, unknown>, used: VersionUsed, serverType?: string): XmlTree {
  const tree: XmlTree = {};
  const entries = block.filter((entry) => appliesTo(entry, serverType));
  const written = new Set<string>();
  for (const entry of entries) {
    const value = object[entry.field];
    if (!entry.many && value !== undefined && entry.since === '1.2') used.version12 = true;
    if (entry.element === undefined) {
      tree[entry.ownText ? TEXT : `${ATTRIBUTE}${entry.attribute!}`] = value === undefined ? undefined : entry.codec!.write(value);
    } else if (!entry.many) {
      tree[entry.element] = value === undefined ? undefined : renderElement(entry, value, used, serverType);
    } else if (!written.has(entry.field)) {
      written.add(entry.field);
      const sameField = entries.filter((other) => other.field === entry.field);
      const items = ((value ?? []) as unknown[]).map((item) => {
        const writer = writerOf(sameField, item);
        if (writer.since === '1.2') used.version12 = true;
        return renderElement(writer, item, used, serverType);
      });
      const existing = tree[entry.element];
      tree[entry.element] = [...(Array.isArray(existing) ? existing : []), ...items];
    }
  }
  return tree;
}

function writerOf(entries: readonly FieldEntry[], item: unknown): FieldEntry {
  return entries.find((entry) => entry.codec?.values === undefined || entry.codec.values.includes(item as string)) ?? entries[0]!;
}

/** One element for one value: its text, its attribute, or the element tree of an object. */
function renderElement(entry: FieldEntry, value: unknown, used: VersionUsed, serverType: string | undefined): XmlValue {
  if (entry.block) {
    const object = value as Record<string, unknown>;
    // A server's own type says which of its table's entries apply; every other block applies whole.
    const type = entry.block === SERVER_FIELDS ? (object.type as string) : serverType;
    if (entry.block === SERVER_FIELDS && VERSION_12_SERVER_TYPES.includes(type!)) used.version12 = true;
    return renderBlock(entry.block, object, used, type);
  }
  const written = entry.codec!.write(value);
  if (entry.attribute !== undefined) return { [`${ATTRIBUTE}${entry.attribute}`]: written };
  if (entry.marker !== undefined) return { [`${ATTRIBUTE}${entry.marker.attribute}`]: entry.marker.value, [TEXT]: written };
  return written;
}
