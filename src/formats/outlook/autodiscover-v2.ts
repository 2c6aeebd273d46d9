/**
 * Autodiscover v2 (docs/endpoints.md#autodiscover-v2-json): a JSON pointer to the POX endpoint. It cannot carry
 * IMAP/POP/SMTP settings, so the only protocol served is AutodiscoverV1.
 */
export const AUTODISCOVER_V2_CONTENT_TYPE = 'application/json; charset=utf-8';

export type AutodiscoverV2Error = 'MissingProtocol' | 'ProtocolNotSupported' | 'MandatoryParameterMissing' | 'InvalidUser';

const ERROR_MESSAGES: Record<AutodiscoverV2Error, string> = {
  MissingProtocol: 'The Protocol parameter is missing.',
  ProtocolNotSupported: 'Only the AutodiscoverV1 protocol is supported by this server.',
  MandatoryParameterMissing: 'The email address is missing.',
  InvalidUser: 'The email address is not valid or its domain is not hosted here.',
};

export const AUTODISCOVER_V2_ERRORS = Object.keys(ERROR_MESSAGES) as AutodiscoverV2Error[];

export function isAutodiscoverV1(protocol: string): boolean {
  return protocol.toLowerCase() === 'autodiscoverv1';
}

/** The pointer to `poxUrl`, the absolute https URL of this server's POX endpoint. */
export function renderAutodiscoverV2Pointer(poxUrl: string): string {
  return JSON.stringify({ Protocol: 'AutodiscoverV1', Url: poxUrl });
}

export function renderAutodiscoverV2Error(code: AutodiscoverV2Error): string {
  return JSON.stringify({ ErrorCode: code, ErrorMessage: ERROR_MESSAGES[code] });
}
