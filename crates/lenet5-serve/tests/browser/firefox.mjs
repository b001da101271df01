// Manual check of the `lenet5 serve` page in Firefox (not run by `cargo test`): draws a 1
// and a 7 on each model through W3C WebDriver (plain fetch, no client library) and saves
// a screenshot. Needs Debian's firefox-esr and geckodriver (`cargo install geckodriver`):
//
//   lenet5 serve --addr 127.0.0.1:8080 &
//   geckodriver --host 127.0.0.1 --port 4444 &
//   node firefox.mjs http://127.0.0.1:8080/ [screenshot.png]
//
// The preferences below keep Firefox off the network: no DNS at all, every proxied
// connection sent to a closed loopback port, and the page itself on 127.0.0.1.
import { writeFileSync } from 'node:fs';
const WD = process.env.WEBDRIVER || 'http://127.0.0.1:4444';
const url = process.argv[2];
const shot = process.argv[3];
if (!url || !url.startsWith('http://127.0.0.1:')) {
  console.error('usage: node firefox.mjs http://127.0.0.1:PORT/ [screenshot.png]');
  process.exit(2);
}
async function wd(method, path, body) {
  const r = await fetch(WD + path, { method, headers: { 'content-type': 'application/json' }, body: body ? JSON.stringify(body) : undefined });
  const j = await r.json();
  if (j.value && j.value.error) throw new Error(JSON.stringify(j.value));
  return j.value;
}
const prefs = {
  'network.dns.disabled': true, 'network.proxy.type': 1, 'network.proxy.socks': '127.0.0.1', 'network.proxy.socks_port': 9,
  'network.proxy.socks_remote_dns': true, 'network.proxy.no_proxies_on': '127.0.0.1', 'app.update.enabled': false,
  'app.normandy.enabled': false, 'toolkit.telemetry.enabled': false, 'datareporting.healthreport.uploadEnabled': false,
  'datareporting.policy.dataSubmissionEnabled': false, 'browser.safebrowsing.malware.enabled': false,
  'browser.safebrowsing.phishing.enabled': false, 'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false, 'extensions.update.enabled': false, 'browser.search.update': false,
  'services.settings.server': 'http://127.0.0.1:9/', 'dom.push.enabled': false, 'remote.active-protocols': 2,
};
const s = await wd('POST', '/session', { capabilities: { alwaysMatch: { browserName: 'firefox', 'moz:firefoxOptions': { binary: '/usr/bin/firefox-esr', args: ['-headless', '--width=1180', '--height=1100'], prefs } } } });
const id = s.sessionId;
const exec = (script, args = []) => wd('POST', `/session/${id}/execute/sync`, { script, args });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(script, arg) { for (let i = 0; i < 200; i++) { if (await exec(script, [arg])) return; await sleep(100); } throw new Error('timeout: ' + script); }
try {
  await wd('POST', `/session/${id}/url`, { url });
  await until('return document.body.dataset.ready === "1"');
  const results = [];
  const models = await exec('return Array.from(document.querySelectorAll("#models button"), b => b.dataset.model)');
  for (const model of models.length ? models : [null]) {
    if (model) await exec(`document.querySelector('#models button[data-model="${model}"]').click()`);
    for (const [digit, pts] of [['1', [[150, 45], [138, 235]]], ['7', [[75, 55], [205, 55], [125, 240]]]]) {
      await exec('document.getElementById("clear").click()');
      const box = await exec('const r = document.getElementById("pad").getBoundingClientRect(); return [r.left, r.top, r.width]');
      const k = box[2] / 280;
      const P = (p) => ({ x: Math.round(box[0] + p[0] * k), y: Math.round(box[1] + p[1] * k) });
      const acts = [{ type: 'pointerMove', origin: 'viewport', ...P(pts[0]), duration: 0 }, { type: 'pointerDown', button: 0 }];
      for (const p of pts.slice(1)) acts.push({ type: 'pointerMove', origin: 'viewport', ...P(p), duration: 300 });
      acts.push({ type: 'pointerUp', button: 0 });
      const before = await exec('return Number(document.body.dataset.predictions || 0)');
      await wd('POST', `/session/${id}/actions`, { actions: [{ type: 'pointer', id: 'mouse', parameters: { pointerType: 'mouse' }, actions: acts }] });
      await until('return Number(document.body.dataset.predictions || 0) > arguments[0] && !document.body.dataset.busy', before);
      const shown = await exec('return document.getElementById("digit").textContent.trim()');
      results.push({ model, digit, shown, ok: digit === shown });
    }
  }
  const layers = await exec('return Array.from(document.querySelectorAll("#layers .layer"), l => l.querySelectorAll("canvas").length).join(",")');
  console.log(JSON.stringify({ browser: s.capabilities.browserName + ' ' + s.capabilities.browserVersion, results, layers }));
  if (shot) writeFileSync(shot, Buffer.from(await wd('GET', `/session/${id}/screenshot`), 'base64'));
  process.exitCode = results.every((r) => r.ok) && layers === '6,6,16,16,1,1' ? 0 : 1;
} finally {
  await wd('DELETE', `/session/${id}`);
}
