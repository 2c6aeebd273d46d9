/**
 * The ceiling the benchmark compares against: a raw node:http server with no framework.
 * GET answers a fixed body of the size our autoconfig answer has; POST reads the body and
 * parses it with fast-xml-parser (what a minimal autodiscover server must at least do)
 * before answering a fixed body of the size of our POX answer.
 * With HEADERS_JSON (a flat list of names and values), GET /with-headers answers with those
 * header fields too: what the same raw server costs when it sends the header fields our
 * answer carries (bench/run.mjs passes the ones of our autoconfig answer).
 * Usage: node bench/ceiling.mjs PORT GET_BYTES POST_BYTES [HEADERS_JSON]
 */
import { createServer } from 'node:http';
import { Buffer } from 'node:buffer';
import process from 'node:process';
import { XMLParser } from 'fast-xml-parser';

const [port, getBytes, postBytes] = process.argv.slice(2, 5).map(Number);
const extraHeaders = JSON.parse(process.argv[5] ?? '[]');
const getBody = Buffer.alloc(getBytes, 'x');
const postBody = Buffer.alloc(postBytes, 'x');
const parser = new XMLParser({ removeNSPrefix: true });

createServer((req, res) => {
  if (req.method !== 'POST' && req.url === '/with-headers') {
    res.writeHead(200, extraHeaders);
    res.end(getBody);
    return;
  }
  if (req.method !== 'POST') {
    res.writeHead(200, { 'Content-Type': 'text/xml; charset=utf-8', 'Content-Length': getBody.length });
    res.end(getBody);
    return;
  }
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const parsed = parser.parse(Buffer.concat(chunks).toString('utf8'));
    const ok = parsed?.Autodiscover?.Request?.EMailAddress !== undefined;
    res.writeHead(ok ? 200 : 400, { 'Content-Type': 'text/xml; charset=utf-8', 'Content-Length': postBody.length });
    res.end(postBody);
  });
}).listen(port, '127.0.0.1');
