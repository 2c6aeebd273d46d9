/**
 * What a person must read on the setup page for the shipped Hotmail definition, in the
 * words of the hand-written help pages; shared by the HTTP and browser tests.
 */
export const HOTMAIL_POP3_ROW = {
  Type: 'POP3',
  Server: 'pop3.live.com',
  Port: '995',
  Security: 'SSL/TLS from the start',
  'User name': 'fred@hotmail.com',
  Authentication: 'normal password, SPA/secure password authentication off',
};
export const LEAVE_COPY_NOTE = 'Leave a copy of messages on the server';
