import request from 'supertest';
import { shippedApp } from './support/app';

test('healthz counts the shipped providers and domains', async () => {
  const app = await shippedApp();
  const res = await request(app).get('/healthz').expect(200);
  expect(res.body).toEqual({ status: 'ok', providers: 2, domains: 13 });
});
