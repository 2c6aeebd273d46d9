/**
 * The body limit stays small: POX requests are a few hundred bytes, so the default is
 * 8 KiB and no setting may raise it past 64 KiB (docs/operations.md, "Limits and timeouts").
 */
import request from 'supertest';
import { ConfigError } from '../src/config/errors';
import { defaultSettings, loadSettings, MAX_BODY_LIMIT_BYTES } from '../src/config/settings';
import { SHIPPED_CONFIG, shippedApp } from './support/app';
import { poxRequestXml } from './support/raw-http';

test('a body limit over 64 KiB is refused, naming the variable; 64 KiB itself is accepted', async () => {
  const error = await loadSettings(SHIPPED_CONFIG, { MAIL_AUTOCONFIG_BODY_LIMIT: String(10 * 1024 * 1024) }).catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(ConfigError);
  expect((error as ConfigError).message).toMatch(/MAIL_AUTOCONFIG_BODY_LIMIT[\s\S]*65536/);
  expect((await loadSettings(SHIPPED_CONFIG, { MAIL_AUTOCONFIG_BODY_LIMIT: '65536' })).bodyLimitBytes).toBe(64 * 1024);
  expect(MAX_BODY_LIMIT_BYTES).toBe(64 * 1024);
  expect(defaultSettings().bodyLimitBytes).toBe(8 * 1024);
});

test('with the largest limit, a POX request padded to just over it gets 413 and one just under is answered', async () => {
  const app = await shippedApp({ bodyLimitBytes: MAX_BODY_LIMIT_BYTES });
  const pox = poxRequestXml('fred@example.com');
  const padded = (size: number) => `${pox}<!--${'x'.repeat(size - Buffer.byteLength(pox) - 7)}-->`;
  await request(app).post('/autodiscover/autodiscover.xml').type('text/xml').send(padded(MAX_BODY_LIMIT_BYTES)).expect(200);
  await request(app).post('/autodiscover/autodiscover.xml').type('text/xml').send(padded(MAX_BODY_LIMIT_BYTES + 1)).expect(413);
});
