/**
 * The config-v1.1 vocabulary that the writer (mozilla.ts) and the ISPDB reader
 * (config/ispdb-reader.ts) share, so that what one writes the other reads back: the
 * autoconfig 1.2 attribute values that mark MX domains and SASL / HTTP mechanisms, and the
 * `<pop3>` block's element ↔ model field map.
 */

/** `<domain purpose="mx">`: one of the provider's MX domains (model `mxDomains`). */
export const MX_PURPOSE = 'mx';
/** `<authentication system="sasl">`: one SASL mechanism (model `saslMechanisms`). */
export const SASL_SYSTEM = 'sasl';
/** `<authentication system="http">`: HTTP Basic or Digest on a URL-based server. */
export const HTTP_SYSTEM = 'http';


/** One `<pop3>` child: its element, the model field it fills, and where its value sits. */
export interface Pop3Field {
  readonly element: string;
  readonly field: 'leaveMessagesOnServer' | 'downloadOnBiff' | 'daysToLeaveMessagesOnServer' | 'checkIntervalMinutes';
  readonly kind: 'boolean' | 'integer';
  /** The attribute holding the value, when it is not the element's text. */
  readonly attribute?: string;
}

export const POP3_FIELDS: readonly Pop3Field[] = [
  { element: 'leaveMessagesOnServer', field: 'leaveMessagesOnServer', kind: 'boolean' },
  { element: 'downloadOnBiff', field: 'downloadOnBiff', kind: 'boolean' },
  { element: 'daysToLeaveMessagesOnServer', field: 'daysToLeaveMessagesOnServer', kind: 'integer' },
  { element: 'checkInterval', field: 'checkIntervalMinutes', kind: 'integer', attribute: 'minutes' },
];
