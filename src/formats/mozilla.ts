/**
 * Mozilla autoconfig (config-v1.1.xml), read by Thunderbird, Thunderbird for Android,
 * Evolution, KMail, Geary, Delta Chat, FairEmail and others (protocols.md §1).
 * The document depends only on the provider: placeholders stay for the client to fill,
 * because some clients send placeholder or mangled addresses (protocols.md §1.7, fixtures
 * README quirk 2). Element names and tokens are exact: Thunderbird matches them
 * case-sensitively and drops what it does not recognise (protocols.md §7 G4–G9).
 */
import type {
  IncomingServer,
  LocalisedText,
  OtherIncomingServer,
  OutgoingServer,
  ProviderDefinition,
} from '../model/provider';
import { ATTRIBUTE, TEXT, renderXml, type XmlTree, type XmlValue } from './xml';

export const MOZILLA_CONTENT_TYPE = 'text/xml; charset=utf-8';

export function renderMozillaAutoconfig(provider: ProviderDefinition): string {
  return renderXml({
    clientConfig: {
      [`${ATTRIBUTE}version`]: '1.1',
      emailProvider: {
        [`${ATTRIBUTE}id`]: provider.id,
        domain: provider.domains,
        displayName: provider.displayName,
        displayShortName: provider.displayShortName,
        // Exchange-family servers follow the mail servers: they were listed after them
        // wherever the ISPDB has them, and clients prefer the first server they support.
        incomingServer: [...provider.incoming.map(incomingServer), ...provider.otherIncoming.map(otherIncomingServer)],
        outgoingServer: provider.outgoing.map(outgoingServer),
        documentation: provider.documentation.map((doc) => ({
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

/** The fields every server section shares; Exchange-family servers may leave some out. */
function serverFields(server: IncomingServer | OutgoingServer | OtherIncomingServer): XmlTree {
  return {
    [`${ATTRIBUTE}type`]: server.type,
    hostname: server.hostname,
    port: server.port,
    socketType: server.socketType,
    authentication: server.authentication,
    // Always present: Thunderbird reads a missing username as the string "undefined" (G7).
    username: server.username,
  };
}

function incomingServer(server: IncomingServer): XmlTree {
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

function otherIncomingServer(server: OtherIncomingServer): XmlTree {
  return {
    ...serverFields(server),
    url: server.url,
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
