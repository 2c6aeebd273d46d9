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
import {
  HTTP_AUTHENTICATION_METHODS,
  type LocalisedText,
  type MailServer,
  type OtherIncomingServer,
  type OutgoingServer,
  type IncomingServer,
  type ProviderDefinition,
} from '../model/provider';
import { HTTP_SYSTEM, MX_PURPOSE, POP3_FIELDS, SASL_SYSTEM } from './config-v11';
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
          ...(provider.mxDomains ?? []).map((domain) => ({ [`${ATTRIBUTE}purpose`]: MX_PURPOSE, [TEXT]: domain })),
        ],
        displayName: provider.displayName,
        displayShortName: provider.displayShortName,
        // The other servers follow the mail servers: the ISPDB lists them after, and clients
        // prefer the first server they support, so a 1.1 client's choice never changes.
        incomingServer: [...provider.incoming.map(incomingServer), ...provider.otherIncoming.map(otherIncomingServer)],
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
          [`${ATTRIBUTE}waitForRedirectionURLPrefix`]: provider.webMail.loginPageInfo.waitForRedirectionURLPrefix,
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
  const mailServers: MailServer[] = [...provider.incoming, ...provider.outgoing];
  return (
    provider.mxDomains !== undefined ||
    provider.oAuth2?.clientID !== undefined ||
    provider.oAuth2?.clientSecret !== undefined ||
    mailServers.some((server) => server.saslMechanisms !== undefined) ||
    provider.otherIncoming.some((server) => VERSION_12_TYPES.has(server.type) || server.authentication?.some(isHttpAuthentication))
  );
}

/** Server types that config-v1.1 files never had (ews, graph, owa and exchange occur in ISPDB 1.1 files). */
const VERSION_12_TYPES = new Set<OtherIncomingServer['type']>(['jmap', 'activeSync']);

const isHttpAuthentication = (method: string) => (HTTP_AUTHENTICATION_METHODS as readonly string[]).includes(method);

/** `<authentication>` elements: 1.2 SASL mechanisms first, then the methods, HTTP ones with `system="http"`. */
function authenticationElements(methods: readonly string[] = [], saslMechanisms: readonly string[] = []): XmlValue[] {
  return [
    ...saslMechanisms.map((mechanism) => systemAuthentication(SASL_SYSTEM, mechanism)),
    ...methods.map((method) => (isHttpAuthentication(method) ? systemAuthentication(HTTP_SYSTEM, method) : method)),
  ];
}

function systemAuthentication(system: string, method: string): XmlValue {
  return { [`${ATTRIBUTE}system`]: system, [TEXT]: method };
}

function serverFields(server: MailServer): XmlTree {
  return {
    [`${ATTRIBUTE}type`]: server.type,
    hostname: server.hostname,
    port: server.port,
    socketType: server.socketType,
    authentication: authenticationElements(server.authentication, server.saslMechanisms),
    // Always present: Thunderbird reads a missing username as the string "undefined" (docs/endpoints.md#what-thunderbird-accepts).
    username: server.username,
  };
}

function incomingServer(server: IncomingServer): XmlTree {
  const pop3 = server.type === 'pop3' ? server.pop3 : undefined;
  return {
    ...serverFields(server),
    pop3:
      pop3 &&
      Object.fromEntries(
        POP3_FIELDS.map(({ element, field, attribute }) => {
          const value = pop3[field];
          return [element, attribute === undefined || value === undefined ? value : { [`${ATTRIBUTE}${attribute}`]: value }];
        }),
      ),
    useGlobalPreferredServer: server.useGlobalPreferredServer,
  };
}

function otherIncomingServer(server: OtherIncomingServer): XmlTree {
  return {
    [`${ATTRIBUTE}type`]: server.type,
    url: server.url,
    hostname: server.hostname,
    port: server.port,
    socketType: server.socketType,
    authentication: authenticationElements(server.authentication),
    username: server.username,
    owaURL: server.owaURL,
    ewsURL: server.ewsURL,
    easURL: server.easURL,
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
