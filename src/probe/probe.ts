/**
 * Probes the mail servers a provider definition advertises: TCP reachability, the TLS
 * handshake the definition promises (implicit TLS or STARTTLS), whether the certificate
 * is trusted, matches the host name and when it expires, and the protocol greeting (with
 * SMTP's AUTH mechanisms). Each step has a deadline; nothing here ever sends a password.
 */
import { connect as connectTcp, isIP, type Socket } from 'node:net';
import { checkServerIdentity, connect as connectTls, rootCertificates, type PeerCertificate, type TLSSocket } from 'node:tls';
import type { EmailAddress } from '../model/address';
import { substitutePlaceholders } from '../model/address';
import type { MailServer, ProviderDefinition } from '../model/provider';
import { authMechanisms, ehlo, LineReader, readGreeting, requestStartTls, sayGoodbye } from './mail-session';

export const DEFAULT_PROBE_TIMEOUT_MS = 5_000;
/** A certificate closer than this to its end is reported, so the admin renews it in time. */
export const EXPIRY_WARNING_DAYS = 14;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface ProbeOptions {
  /** Deadline for each step (connect, handshake, each answer). */
  readonly timeoutMs?: number;
  /** Extra trusted CA certificates (PEM), in addition to Node's bundled roots. */
  readonly extraCa?: readonly string[];
  /** Connect to another address than the host name resolves to (like curl's --connect-to); names stay for SNI and checks. */
  readonly connectTo?: ReadonlyMap<string, string>;
  readonly now?: () => Date;
}

export interface CertificateReport {
  readonly subject: string;
  readonly issuer: string;
  readonly validFrom: string;
  readonly validTo: string;
  readonly daysLeft: number;
  /** The chain leads to a trusted root and every certificate in it is in date. */
  readonly trusted: boolean;
  readonly trustError?: string;
  readonly matchesHostname: boolean;
}

export interface ServerProbe {
  readonly role: 'incoming' | 'outgoing';
  readonly type: MailServer['type'];
  readonly hostname: string;
  readonly port: number;
  readonly socketType: MailServer['socketType'];
  readonly tcp: { readonly ok: boolean; readonly error?: string };
  readonly tls?: { readonly ok: boolean; readonly protocol?: string; readonly error?: string };
  readonly certificate?: CertificateReport;
  readonly greeting?: { readonly ok: boolean; readonly line?: string; readonly error?: string };
  /** SMTP only: the mechanisms EHLO lists (after TLS, where the client would log in). */
  readonly authMechanisms?: readonly string[];
  /** What makes this server unusable for clients; empty when it works. */
  readonly problems: readonly string[];
  /** Worth attention but not broken (a certificate about to expire, no TLS by configuration). */
  readonly warnings: readonly string[];
}

/** Every distinct server of the definition, host names filled in for `domain` (and `address`). */
export function serversToProbe(
  definition: ProviderDefinition,
  domain: string,
  address?: EmailAddress,
): { role: 'incoming' | 'outgoing'; server: MailServer; hostname: string }[] {
  const seen = new Set<string>();
  const result: { role: 'incoming' | 'outgoing'; server: MailServer; hostname: string }[] = [];
  const all = [
    ...definition.incoming.map((server) => ({ role: 'incoming' as const, server })),
    ...definition.outgoing.map((server) => ({ role: 'outgoing' as const, server })),
  ];
  for (const { role, server } of all) {
    const hostname = substitutePlaceholders(server.hostname, address, domain).toLowerCase();
    const key = `${server.type} ${hostname}:${server.port} ${server.socketType}`;
    if (seen.has(key)) continue;
    seen.add(key);
    result.push({ role, server, hostname });
  }
  return result;
}

export async function probeServer(
  role: 'incoming' | 'outgoing',
  server: MailServer,
  hostname: string,
  options: ProbeOptions = {},
): Promise<ServerProbe> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  const base = { role, type: server.type, hostname, port: server.port, socketType: server.socketType };
  const problems: string[] = [];
  const warnings: string[] = [];

  let socket: Socket | TLSSocket;
  try {
    socket = await openTcp(options.connectTo?.get(hostname) ?? hostname, server.port, timeoutMs);
  } catch (error) {
    const message = describeError(error);
    return { ...base, tcp: { ok: false, error: message }, problems: [`cannot connect: ${message}`], warnings };
  }

  let tls: ServerProbe['tls'];
  let certificate: CertificateReport | undefined;
  let greeting: ServerProbe['greeting'];
  let mechanisms: string[] | undefined;
  try {
    let reader: LineReader;
    const startTls = async (plain: Socket, leftover: string) => {
      if (leftover !== '') throw new Error('server sent data before the TLS handshake (possible STARTTLS injection)');
      try {
        const secure = await handshake(plain, hostname, timeoutMs, options.extraCa);
        tls = { ok: true, protocol: secure.getProtocol() ?? undefined };
        certificate = certificateReport(secure, hostname, options.now?.() ?? new Date());
        return secure;
      } catch (error) {
        tls = { ok: false, error: describeError(error) };
        throw error;
      }
    };

    if (server.socketType === 'SSL') {
      socket = await startTls(socket, '');
      reader = new LineReader(socket);
      greeting = await readGreeting(server.type, reader, timeoutMs);
    } else {
      reader = new LineReader(socket);
      greeting = await readGreeting(server.type, reader, timeoutMs);
      if (greeting.ok && server.socketType === 'STARTTLS') {
        if (server.type === 'smtp') await ehlo(socket, reader, timeoutMs);
        await requestStartTls(server.type, socket, reader, timeoutMs);
        socket = await startTls(socket, reader.detach());
        reader = new LineReader(socket);
      }
    }
    if (greeting.ok && server.type === 'smtp') mechanisms = authMechanisms(await ehlo(socket, reader, timeoutMs));
    sayGoodbye(server.type, socket);
  } catch (error) {
    const message = describeError(error);
    if (tls && !tls.ok) problems.push(`TLS handshake failed: ${message}`);
    else if (!greeting) greeting = { ok: false, error: message };
    else problems.push(`${server.type} dialogue failed: ${message}`);
  } finally {
    socket.destroy();
  }

  if (greeting && !greeting.ok) problems.push(`unexpected greeting: ${greeting.error ?? JSON.stringify(greeting.line)}`);
  if (certificate) {
    if (!certificate.trusted) problems.push(`certificate not trusted: ${certificate.trustError ?? 'unknown reason'}`);
    if (!certificate.matchesHostname) problems.push(`certificate does not cover ${hostname} (subject ${certificate.subject})`);
    if (certificate.daysLeft < 0) problems.push(`certificate expired on ${certificate.validTo}`);
    else if (certificate.daysLeft < EXPIRY_WARNING_DAYS) warnings.push(`certificate expires in ${Math.floor(certificate.daysLeft)} days (${certificate.validTo})`);
  }
  if (server.socketType === 'plain') warnings.push('no TLS: the definition says socketType plain');
  const needsLogin = !server.authentication.some((method) => method === 'none' || method === 'client-IP-address');
  if (mechanisms !== undefined && mechanisms.length === 0 && needsLogin) problems.push('EHLO lists no AUTH mechanism: clients cannot log in');

  return {
    ...base,
    tcp: { ok: true },
    ...(tls ? { tls } : {}),
    ...(certificate ? { certificate } : {}),
    ...(greeting ? { greeting } : {}),
    ...(mechanisms ? { authMechanisms: mechanisms } : {}),
    problems,
    warnings,
  };
}

/** Probes every server of a definition in parallel; results in the definition's order. */
export function probeProvider(
  definition: ProviderDefinition,
  domain: string,
  address: EmailAddress | undefined,
  options: ProbeOptions = {},
): Promise<ServerProbe[]> {
  return Promise.all(serversToProbe(definition, domain, address).map(({ role, server, hostname }) => probeServer(role, server, hostname, options)));
}

async function openTcp(host: string, port: number, timeoutMs: number): Promise<Socket> {
  const socket = await whenReady(connectTcp({ host, port }), 'connect', timeoutMs, 'connect');
  // Between steps (handing the socket from the line reader to TLS) nobody else listens;
  // an error there must not crash the process: the next step fails or times out instead.
  socket.on('error', () => undefined);
  return socket;
}

/**
 * TLS over an open socket. The handshake is allowed to complete with an untrusted
 * certificate so that the report can say what is wrong with it; nothing is sent that
 * would need the protection.
 */
function handshake(socket: Socket, hostname: string, timeoutMs: number, extraCa: readonly string[] = []): Promise<TLSSocket> {
  const secure = connectTls({
    socket,
    servername: isIP(hostname) ? undefined : hostname,
    rejectUnauthorized: false,
    ...(extraCa.length > 0 ? { ca: [...rootCertificates, ...extraCa] } : {}),
  });
  return whenReady(secure, 'secureConnect', timeoutMs, 'TLS handshake');
}

/** Resolves with the socket once it emits `event`; rejects on its error or after the deadline, destroying it. */
function whenReady<T extends Socket>(socket: T, event: 'connect' | 'secureConnect', timeoutMs: number, step: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`${step} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    const onError = (error: Error) => {
      clearTimeout(timer);
      reject(error);
    };
    socket.once('error', onError);
    socket.once(event, () => {
      clearTimeout(timer);
      socket.off('error', onError);
      resolve(socket);
    });
  });
}

function certificateReport(socket: TLSSocket, hostname: string, now: Date): CertificateReport {
  const certificate: PeerCertificate = socket.getPeerCertificate();
  const validTo = new Date(certificate.valid_to);
  const authorizationError = socket.authorizationError as (Error & { code?: string }) | string | null | undefined;
  // Node reports a name mismatch as an authorization error too, but only once the chain
  // has verified; the name is reported on its own (matchesHostname), so it counts as trusted here.
  const errorCode = typeof authorizationError === 'string' ? authorizationError : authorizationError?.code;
  const nameOnly = errorCode === 'ERR_TLS_CERT_ALTNAME_INVALID';
  const trusted = socket.authorized || nameOnly;
  return {
    subject: commonName(certificate.subject?.CN),
    issuer: commonName(certificate.issuer?.CN),
    validFrom: new Date(certificate.valid_from).toISOString(),
    validTo: validTo.toISOString(),
    daysLeft: (validTo.getTime() - now.getTime()) / DAY_MS,
    trusted,
    ...(trusted ? {} : { trustError: authorizationError instanceof Error ? authorizationError.message : String(authorizationError) }),
    matchesHostname: checkServerIdentity(hostname, certificate) === undefined,
  };
}

function commonName(value: string | string[] | undefined): string {
  return Array.isArray(value) ? value.join(', ') : (value ?? '');
}

function describeError(error: unknown): string {
  const { code, message } = error as NodeJS.ErrnoException;
  return code && !message.includes(code) ? `${message} (${code})` : message;
}
