/**
 * Things a valid provider file may still get wrong for its users: settings clients accept
 * but that leak passwords, get dropped by Thunderbird, or fail on common networks.
 * `mail-autoconfig check` prints them; they never stop the server.
 */
import type { ConfigProblem } from '../model/loaded-provider';
import { usesMailboxPassword } from '../model/client-capabilities';
import type { MailServer, ProviderDefinition } from '../model/provider';

/**
 * The autoconfig draft's guidelines for the provider's names: SHOULD and MUST lengths.
 * Thunderbird accepts any length, so a longer name only earns a warning; PACC, which
 * enforces the MUST, gets a shortened name or none (formats/pacc/pacc.ts).
 */
export const NAME_LENGTHS = {
  displayName: { should: 30, must: 60 },
  displayShortName: { should: 12, must: 20 },
} as const;

/** Warnings for provider names longer than the draft's guidelines. */
export function nameLengthWarnings(definition: Pick<ProviderDefinition, 'displayName' | 'displayShortName'>, file: string): ConfigProblem[] {
  return (Object.keys(NAME_LENGTHS) as (keyof typeof NAME_LENGTHS)[]).flatMap((field) => {
    const value = definition[field];
    if (value === undefined) return [];
    const length = [...value].length;
    const { should, must } = NAME_LENGTHS[field];
    if (length <= should) return [];
    const limit = length > must ? `at most ${must} (PACC clients get it shortened or not at all)` : `at most ${should}`;
    return [{ file, field, message: `${field} has ${length} characters; the autoconfig draft asks for ${limit}` }];
  });
}

export function providerWarnings(definition: ProviderDefinition, file: string): ConfigProblem[] {
  const warnings: ConfigProblem[] = nameLengthWarnings(definition, file);
  const warn = (field: string, message: string) => warnings.push({ file, field, message });
  const lists = [
    ['incoming', definition.incoming],
    ['outgoing', definition.outgoing],
  ] as const;

  for (const [listName, servers] of lists) {
    servers.forEach((server: MailServer, index) => {
      const field = `${listName}[${index}]`;
      const where = `${server.type} ${server.hostname}:${server.port}`;
      if (server.socketType === 'plain') {
        warn(field, `${where} is unencrypted (socketType plain): passwords and mail cross the network in clear`);
      }
      const methods = server.authentication;
      if (methods.includes('OAuth2') && !usesMailboxPassword(methods)) {
        warn(
          field,
          `${where} offers OAuth2 without a password fallback: Thunderbird drops the server unless its host is built in; add password-cleartext after OAuth2`,
        );
      }
      if (methods.includes('OAuth2') && !definition.oAuth2) {
        warn(field, `${where} lists OAuth2 but the provider has no oAuth2 section (issuer, scope, authURL, tokenURL)`);
      }
      // RFC 8314: implicit TLS is preferred; clients take the first entry they support.
      const laterImplicitTls = servers.findIndex((other, otherIndex) => otherIndex > index && other.type === server.type && other.socketType === 'SSL');
      if (server.socketType === 'STARTTLS' && laterImplicitTls !== -1) {
        warn(field, `${where} uses STARTTLS but is listed before implicit TLS (${listName}[${laterImplicitTls}]); list implicit TLS first (RFC 8314)`);
      }
    });
  }

  const firstSmtp = definition.outgoing[0];
  if (firstSmtp?.port === 25) {
    warn(
      'outgoing[0]',
      `smtp ${firstSmtp.hostname}:25 is the first SMTP choice: many ISPs and networks block port 25 for clients; list submission (465 or 587) first`,
    );
  }
  return warnings;
}
