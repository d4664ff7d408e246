/**
 * The baseline page: what the original desktop app did, a small static page served by this process
 * (node:http, which also forwards /api/ to the Parley child, so the page is same-origin with the API). On
 * choosing bob it fetches the whole history (pages of API_PAGE_MAX, the API's largest), renders every message
 * as an <article>, and re-fetches the whole history every 2 s, rebuilding the list each time.
 */
import { createServer, Agent as HttpAgent, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { atTearDown } from '../shared/teardown';
import { API_PAGE_MAX, BASELINE_REFETCH_MS } from './settings';

const BASELINE_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Baseline</title>
<style>
body { margin: 0; font: 14px system-ui, sans-serif; display: flex; height: 100vh; background: #111; color: #ddd; }
nav { width: 240px; border-right: 1px solid #333; }
main { flex: 1; display: flex; flex-direction: column; min-width: 0; }
#log { flex: 1; overflow: auto; padding: 8px; }
article { margin: 4px 0; padding: 6px 10px; border-radius: 8px; max-width: 70%; background: #223; }
article.sent { margin-left: auto; background: #235; }
article p { margin: 0; white-space: pre-wrap; }
textarea { margin: 8px; height: 40px; }
</style></head>
<body>
<nav aria-label="Friends"><ul aria-label="Friends"><li><button type="button" id="bob">bob offline</button></li></ul></nav>
<main><h2 id="peer"></h2>
<div id="log" role="log" aria-label="Messages" tabindex="0"></div>
<textarea aria-label="Message" placeholder="Message"></textarea>
</main>
<script src="/baseline.js"></script>
</body></html>`;

const BASELINE_JS = `'use strict';
const token = decodeURIComponent(location.hash.slice(1));
const log = document.getElementById('log');
let peer = null;
let timer = null;
let first = true;
async function fetchAll(who) {
  let all = [];
  let before = null;
  for (;;) {
    const url = '/api/messages?peer=' + encodeURIComponent(who) + '&limit=${API_PAGE_MAX}' + (before === null ? '' : '&before=' + before);
    const res = await fetch(url, { headers: { authorization: 'Bearer ' + token } });
    if (!res.ok) throw new Error('GET ' + url + ': ' + res.status);
    const page = await res.json();
    all = page.concat(all);
    if (page.length < ${API_PAGE_MAX}) return all;
    before = page[0].id;
  }
}
function render(messages) {
  const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
  const frag = document.createDocumentFragment();
  for (const m of messages) {
    const a = document.createElement('article');
    a.className = m.direction;
    const p = document.createElement('p');
    p.textContent = m.content;
    const t = document.createElement('time');
    t.textContent = new Date(m.timestamp).toLocaleTimeString();
    a.append(p, t);
    frag.append(a);
  }
  log.replaceChildren(frag);
  if (atBottom || first) log.scrollTop = log.scrollHeight;
  first = false;
}
async function refresh() {
  const who = peer;
  const started = performance.now();
  try {
    const messages = await fetchAll(who);
    if (who === peer) render(messages);
  } catch (err) {
    console.error(err);
  }
  if (who === peer) timer = setTimeout(refresh, Math.max(0, ${BASELINE_REFETCH_MS} - (performance.now() - started)));
}
document.getElementById('bob').addEventListener('click', () => {
  peer = 'bob';
  first = true;
  document.getElementById('peer').textContent = 'bob';
  clearTimeout(timer);
  refresh();
});
`;

/**
 * Serves the baseline page and forwards /api/ to Parley, so the page and the API share an origin; closed when
 * the benchmark ends.
 */
export function startBaselineServer(parleyPort: number): Promise<number> {
  const agent = new HttpAgent({ keepAlive: true, maxSockets: 16 });
  const server = createServer((req, res) => {
    if (req.url?.startsWith('/api/')) {
      const upstream = httpRequest(
        {
          host: '127.0.0.1',
          port: parleyPort,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: `127.0.0.1:${parleyPort}` },
          agent,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => {
        if (!res.headersSent) res.writeHead(502);
        res.end();
      });
      req.pipe(upstream);
      return;
    }
    const path = req.url?.split(/[?#]/)[0];
    if (path === '/' || path === '/index.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(BASELINE_HTML);
    } else if (path === '/baseline.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(BASELINE_JS);
    } else {
      res.writeHead(404).end();
    }
  });
  atTearDown(() => {
    server.closeAllConnections();
    server.close();
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}
