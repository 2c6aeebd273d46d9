/**
 * Mozilla autoconfig (config-v1.1.xml), read by Thunderbird, Thunderbird for Android,
 * Evolution, KMail, Geary, Delta Chat, FairEmail and others (protocols.md §1).
 * The document depends only on the provider: placeholders stay for the client to fill,
 * because some clients send placeholder or mangled addresses (protocols.md §1.7, fixtures
 * README quirk 2). Element names and tokens are exact: Thunderbird matches them
 * case-sensitively and drops what it does not recognise (protocols.md §7 G4–G9).
 *
 * Autoconfig 1.2 additions (protocols.md §9.2) are written only in forms a 1.1 client
 * skips without losing anything it could use: URL servers are incomingServer sections of
 * types Thunderbird does not know (it drops just that section). Elements with a 1.2
 * attribute (`authentication system=…`, `domain purpose="mx"`) reach Thunderbird's
 * sanitizer as objects (TB-JXON), which match no token or host name, so it skips them;
 * the generic methods always follow (the model defaults them) and the plain domains are
 * never empty, so every server and the file itself stay usable (G3).
 */
import {
  isUrlServer,
  type HostIncomingServer,
  type LocalisedText,
  type OutgoingServer,
  type ProviderDefinition,
  type UrlServer,
} from '../model/provider';
import { ATTRIBUTE, TEXT, renderXml, type XmlTree, type XmlValue } from './xml';

export const MOZILLA_CONTENT_TYPE = 'text/xml; charset=utf-8';

/** `extraDocumentation` comes before the provider's own links (the setup page, when it has a public URL). */
export function renderMozillaAutoconfig(provider: ProviderDefinition, extraDocumentation: ProviderDefinition['documentation'] = []): string {
  return renderXml({
    clientConfig: {
      [`${ATTRIBUTE}version`]: usesVersion12(provider) ? '1.2' : '1.1',
      emailProvider: {
        [`${ATTRIBUTE}id`]: provider.id,
        domain: [
          ...provider.domains,
          ...(provider.mxDomains ?? []).map((domain) => ({ [`${ATTRIBUTE}purpose`]: 'mx', [TEXT]: domain })),
        ],
        displayName: provider.displayName,
        displayShortName: provider.displayShortName,
        incomingServer: provider.incoming.map((server) => (isUrlServer(server) ? urlServer(server) : incomingServer(server))),
        outgoingServer: provider.outgoing.map(outgoingServer),
        documentation: [...extraDocumentation, ...provider.documentation].map((doc) => ({
          [`${ATTRIBUTE}url`]: doc.url,
          descr: localised(doc.descr),
        })),
        inputField: provider.inputFields.map((field) => ({
          [`${ATTRIBUTE}key`]: field.key,
          [`${ATTRIBUTE}label`]: field.label,
          [TEXT]: field.value,
        })),
      },
      enable: provider.enable && {
        [`${ATTRIBUTE}visiturl`]: provider.enable.visitUrl,
        instruction: localised(provider.enable.instruction),
      },
      webMail: provider.webMail && {
        loginPage: provider.webMail.loginPage && { [`${ATTRIBUTE}url`]: provider.webMail.loginPage },
        loginPageInfo: provider.webMail.loginPageInfo && {
          [`${ATTRIBUTE}url`]: provider.webMail.loginPageInfo.url,
          username: provider.webMail.loginPageInfo.username,
          usernameField: fieldReference(provider.webMail.loginPageInfo.usernameField),
          passwordField: fieldReference(provider.webMail.loginPageInfo.passwordField),
          loginButton: fieldReference(provider.webMail.loginPageInfo.loginButton),
        },
      },
      oAuth2: provider.oAuth2 && { ...provider.oAuth2 },
      clientConfigUpdate: provider.clientConfigUpdate && { [`${ATTRIBUTE}url`]: provider.clientConfigUpdate },
    },
  });
}

/** Whether the definition says anything only autoconfig 1.2 can express. */
function usesVersion12(provider: ProviderDefinition): boolean {
  return (
    provider.mxDomains !== undefined ||
    provider.oAuth2?.clientID !== undefined ||
    provider.incoming.some((server) => isUrlServer(server) || server.saslMechanisms !== undefined) ||
    provider.outgoing.some((server) => server.saslMechanisms !== undefined)
  );
}

/** The 1.2 authentication `system` of each URL-server method; generic tokens have none. */
const URL_AUTHENTICATION_SYSTEM: Record<UrlServer['authentication'][number], 'http' | undefined> = {
  OAuth2: undefined,
  Basic: 'http',
  Digest: 'http',
};

function urlServer(server: UrlServer): XmlTree {
  return {
    [`${ATTRIBUTE}type`]: server.type,
    url: server.url,
    authentication: server.authentication.map((method) => systemAuthentication(URL_AUTHENTICATION_SYSTEM[method], method)),
    username: server.username,
  };
}

function systemAuthentication(system: string | undefined, method: string): XmlValue {
  return system === undefined ? method : { [`${ATTRIBUTE}system`]: system, [TEXT]: method };
}

function serverFields(server: HostIncomingServer | OutgoingServer): XmlTree {
  return {
    [`${ATTRIBUTE}type`]: server.type,
    hostname: server.hostname,
    port: server.port,
    socketType: server.socketType,
    authentication: [
      ...(server.saslMechanisms ?? []).map((mechanism) => systemAuthentication('sasl', mechanism)),
      ...server.authentication,
    ],
    // Always present: Thunderbird reads a missing username as the string "undefined" (G7).
    username: server.username,
  };
}

function incomingServer(server: HostIncomingServer): XmlTree {
  const pop3 = server.type === 'pop3' ? server.pop3 : undefined;
  return {
    ...serverFields(server),
    pop3: pop3 && {
      leaveMessagesOnServer: pop3.leaveMessagesOnServer,
      downloadOnBiff: pop3.downloadOnBiff,
      daysToLeaveMessagesOnServer: pop3.daysToLeaveMessagesOnServer,
      checkInterval: pop3.checkIntervalMinutes === undefined ? undefined : { [`${ATTRIBUTE}minutes`]: pop3.checkIntervalMinutes },
    },
    useGlobalPreferredServer: server.useGlobalPreferredServer,
  };
}

function outgoingServer(server: OutgoingServer): XmlTree {
  return {
    ...serverFields(server),
    restriction: server.restriction,
    addThisServer: server.addThisServer,
    useGlobalPreferredServer: server.useGlobalPreferredServer,
  };
}

function localised(texts: LocalisedText | undefined): XmlValue {
  return texts?.map(({ lang, text }) => ({ [`${ATTRIBUTE}lang`]: lang, [TEXT]: text }));
}

function fieldReference(field: { id?: string; name?: string } | undefined): XmlValue {
  return field && { [`${ATTRIBUTE}id`]: field.id, [`${ATTRIBUTE}name`]: field.name };
}
