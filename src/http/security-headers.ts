/**
 * helmet's security headers, computed once. helmet's defaults do not depend on the
 * request, yet its middleware runs a dozen functions per request; running it once at
 * start-up against a recording response and replaying what it did gives the same headers
 * for a loop over a short list, on the Express path and the lean path alike.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet from 'helmet';

export type SecurityHeaders = (res: ServerResponse) => void;

export function securityHeaders(): SecurityHeaders {
  const set: [string, string | number | readonly string[]][] = [];
  const removed: string[] = [];
  const recorder = {
    setHeader: (name: string, value: string | number | readonly string[]) => set.push([name, value]),
    removeHeader: (name: string) => removed.push(name),
  } as unknown as ServerResponse;
  helmet()({} as IncomingMessage, recorder, (error?: unknown) => {
    if (error) throw error;
  });
  return (res) => {
    for (const name of removed) res.removeHeader(name);
    for (const [name, value] of set) res.setHeader(name, value);
  };
}
