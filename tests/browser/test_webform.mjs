// The victim's web form in a real browser: Debian's Chromium driven by
// playwright-core (executablePath, no browser download), against a relay48
// of its own (relay_launcher.py: fresh database, clock frozen at
// 2026-03-28T12:00:00Z so that a transfer of 28 March 2026 at 10:00 is still
// inside its window and its deadline reads "30 mars 2026 à 11:00").
//
// Checks: the transfer form filled and sent with JavaScript on (evidence
// hashed in the browser) and off; the French error next to an invalid IBAN
// with the other values kept; a double submit makes one case; the English
// version; the card path refuses a full card number; keyboard-only use; no
// Content-Security-Policy violation; axe-core on the form, the error state
// and the case page (no serious or critical violation). Screenshots go to
// tests/browser/artifacts/ (git-ignored).
//
// Run: node tests/browser/test_webform.mjs (ctest label browser). Needs
// /usr/bin/chromium (ops/bootstrap.sh installs it; RELAY48_CHROMIUM to use
// another), python3, psql, and PostgreSQL and Kafka started by ops/.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomInt } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const artifacts = path.join(here, 'artifacts');
const CHROMIUM = process.env.RELAY48_CHROMIUM || '/usr/bin/chromium';
const NOW = '2026-03-28T12:00:00Z';
// The flags Chromium needs on these machines: no sandbox as root, and no
// background connections (the network is closed and refuses them).
const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
const MOBILE = { width: 390, height: 844 };

// ---- set-up -----------------------------------------------------------------

function ensureModules() {
  const have = (m) => existsSync(path.join(here, 'node_modules', m, 'package.json'));
  if (have('playwright-core') && have('axe-core')) return;
  console.log('installing playwright-core and axe-core into tests/browser/node_modules');
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], {
    cwd: here,
    stdio: 'inherit',
    env: { ...process.env, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' },
  });
}

async function startRelay() {
  const child = spawn(process.env.PYTHON3 || 'python3', [path.join(here, 'relay_launcher.py'), NOW],
    { stdio: ['pipe', 'pipe', 'inherit'], env: process.env });
  const lines = readline.createInterface({ input: child.stdout });
  const info = await new Promise((resolve, reject) => {
    lines.once('line', (l) => resolve(JSON.parse(l)));
    child.once('exit', (code) => reject(new Error(`relay_launcher.py exited with ${code}`)));
  });
  info.stop = () => new Promise((resolve) => {
    child.once('exit', resolve);
    child.stdin.end();
  });
  return info;
}

let relay;
let browser;

function sql(q) {
  return execFileSync('psql', ['-X', '-q', '-tA', '-v', 'ON_ERROR_STOP=1', relay.db_url, '-c', q])
    .toString().trim();
}

function relayLog() {
  return readFileSync(relay.log, 'utf8');
}

function postsSoFar() {
  return (relayLog().match(/POST \/report /g) || []).length;
}

// ---- data -------------------------------------------------------------------

function iban(country, bban) {
  const digits = [...(bban + country + '00')].map((c) => parseInt(c, 36).toString()).join('');
  const check = 98n - (BigInt(digits) % 97n);
  return `${country}${String(check).padStart(2, '0')}${bban}`;
}

function frIban(bank) {
  let account = '';
  for (let i = 0; i < 11; i++) account += randomInt(10);
  return iban('FR', `${bank}00001${account}${randomInt(10, 98)}`);
}

function grouped(s) {
  return s.replace(/(.{4})/g, '$1 ').trim();
}

function luhnPan(prefix = '497010') {
  let body = prefix;
  while (body.length < 15) body += randomInt(10);
  let total = 0;
  [...body].reverse().forEach((ch, i) => {
    let d = Number(ch);
    if (i % 2 === 0) { d *= 2; if (d > 9) d -= 9; }
    total += d;
  });
  return body + ((10 - (total % 10)) % 10);
}

function transferValues(over = {}) {
  return {
    executed_at: '2026-03-28T10:00',
    amount: '12 500,00',
    debtor_iban: grouped(frIban('30004')),
    creditor_iban: grouped(frIban('30003')),
    creditor_name: 'SECURIS CONSEIL SAS',
    victim_name: 'Mairie de Saint-Genis',
    email: 'secretariat@mairie.example',
    phone: '04 78 57 00 00',
    postal_code: '69290',
    scenario: 'fake_cyber_partnership',
    narrative: 'Un faux « partenaire cybersécurité » a fait payer un audit à la mairie.',
    ...over,
  };
}

async function fillTransfer(page, v) {
  await page.fill('#f-executed_at', v.executed_at);
  await page.fill('#f-amount', v.amount);
  await page.selectOption('#f-rail', 'sct_inst');
  await page.fill('#f-debtor_iban', v.debtor_iban);
  await page.fill('#f-creditor_iban', v.creditor_iban);
  await page.fill('#f-creditor_name', v.creditor_name);
  await page.check('input[name=victim_type][value=public_body]');
  await page.fill('#f-victim_name', v.victim_name);
  await page.fill('#f-email', v.email);
  await page.fill('#f-phone', v.phone);
  await page.fill('#f-postal_code', v.postal_code);
  await page.check(`input[name=scenario][value=${v.scenario}]`);
  await page.fill('#f-narrative', v.narrative);
}

function compact(iban) {
  return iban.replace(/ /g, '');
}

// A page that records what must never happen: a CSP violation, a script
// error, a request to anywhere but the relay.
async function newPage(context) {
  const page = await context.newPage();
  page.problems = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) page.problems.push(m.text());
  });
  page.on('pageerror', (e) => page.problems.push(`page error: ${e.message}`));
  page.on('request', (r) => {
    if (!r.url().startsWith(relay.base)) page.problems.push(`external request: ${r.url()}`);
  });
  return page;
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(artifacts, name), fullPage: true });
}

// ---- tests ------------------------------------------------------------------

let caseUrl = null; // for the accessibility check

async function testTransferWithJavaScript() {
  const context = await browser.newContext({ viewport: MOBILE, locale: 'fr-FR' });
  const page = await newPage(context);
  const resp = await page.goto(`${relay.base}/`);
  assert.equal(resp.status(), 200);
  const h = resp.headers();
  assert.match(h['content-security-policy'], /default-src 'self'/);
  assert.equal(await page.getAttribute('html', 'lang'), 'fr');
  assert.equal(await page.textContent('h1'), 'Signaler une fraude');
  const v = transferValues();
  await fillTransfer(page, v);
  // the evidence: hashed here, never uploaded
  assert.ok(await page.isVisible('#f-evidence'), 'the file chooser shows with JavaScript');
  const mail = Buffer.from('From: conseiller@fausse-banque.example\r\nSubject: Sécurisation\r\n\r\n' +
    'Validez le virement de sécurisation.\r\n');
  const sha = createHash('sha256').update(mail).digest('hex');
  await page.setInputFiles('#f-evidence', {
    name: 'appel-conseiller-28-03.eml', mimeType: 'message/rfc822', buffer: mail,
  });
  await page.waitForSelector('#evidence-list li');
  assert.match(await page.textContent('#evidence-list'), /appel-conseiller-28-03\.eml/);
  assert.equal(await page.inputValue('input[name=evidence_sha256]'), sha);
  await shot(page, 'form.png');
  await page.setViewportSize({ width: 1280, height: 900 });
  await shot(page, 'form-desktop.png');
  await page.setViewportSize(MOBILE);

  await Promise.all([page.waitForURL(/\/case\/R48-/), page.click('button[type=submit]')]);
  const url = new URL(page.url());
  assert.match(url.pathname, /^\/case\/R48-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
  assert.deepEqual([...url.searchParams.keys()], ['t']);
  caseUrl = page.url();
  assert.equal(await page.textContent('.deadline-at'), '30 mars 2026 à 11:00');
  // the countdown runs from the relay's clock: 45 h, then less
  assert.match(await page.textContent('#time-left'), /^(45 h|44 h 59 min)$/);
  assert.ok(await page.isHidden('#time-left-note'), 'the "worked out at" note goes with JS');
  const steps = await page.$$eval('ol.todo li', (lis) => lis.map((li) => li.textContent));
  assert.equal(steps.length, 3);
  assert.match(steps[0], /^Appelez tout de suite le service fraude de votre banque/);
  assert.match(steps[1], /^Portez plainte à la gendarmerie ou au commissariat/);
  assert.match(steps[2], /^Gardez les e-mails de l'escroc/);
  assert.match(await page.textContent('.parties'), /Pas encore de réponse/);
  await shot(page, 'case.png');

  const ref = url.pathname.split('/')[2];
  const row = sql(`SELECT channel, rail, amount_minor, details->'evidence'->0->>'sha256',
                   details->'evidence'->0->>'file_name' FROM cases WHERE ref = '${ref}'`);
  assert.equal(row, `web|sct_inst|1250000|${sha}|appel-conseiller-28-03.eml`);
  assert.deepEqual(page.problems, []);
  await context.close();
}

async function testInvalidIbanKeepsValues() {
  const context = await browser.newContext({ viewport: MOBILE, locale: 'fr-FR' });
  const page = await newPage(context);
  await page.goto(`${relay.base}/`);
  const good = compact(frIban('30004'));
  const bad = good.slice(0, -1) + (good.endsWith('0') ? '1' : '0');
  const v = transferValues({ debtor_iban: grouped(bad) });
  await fillTransfer(page, v);
  const before = sql('SELECT count(*) FROM cases');
  const [resp] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/report')),
    page.click('button[type=submit]'),
  ]);
  await page.waitForLoadState();
  assert.equal(resp.status(), 422);
  assert.equal(sql('SELECT count(*) FROM cases'), before);
  assert.match(await page.title(), /^Erreur :/);
  // the message next to the field, tied to it
  const err = await page.textContent('#f-debtor_iban-error');
  assert.match(err, /Cet IBAN n'est pas valide : un caractère est mal recopié/);
  assert.match(err, /4 derniers caractères/);
  const describedBy = await page.getAttribute('#f-debtor_iban', 'aria-describedby');
  assert.ok(describedBy.split(' ').includes('f-debtor_iban-error'), describedBy);
  assert.equal(await page.getAttribute('#f-debtor_iban', 'aria-invalid'), 'true');
  // the summary at the top links to the field
  const link = page.locator('.error-summary a[href="#f-debtor_iban"]');
  assert.equal(await link.count(), 1);
  // every value kept
  assert.equal(await page.inputValue('#f-debtor_iban'), v.debtor_iban);
  assert.equal(await page.inputValue('#f-creditor_iban'), v.creditor_iban);
  assert.equal(await page.inputValue('#f-executed_at'), v.executed_at);
  assert.equal(await page.inputValue('#f-amount'), v.amount);
  assert.equal(await page.inputValue('#f-rail'), 'sct_inst');
  assert.equal(await page.inputValue('#f-victim_name'), v.victim_name);
  assert.equal(await page.inputValue('#f-email'), v.email);
  assert.equal(await page.inputValue('#f-postal_code'), v.postal_code);
  assert.equal(await page.inputValue('#f-narrative'), v.narrative);
  assert.ok(await page.isChecked(`input[name=scenario][value=${v.scenario}]`));
  assert.ok(await page.isChecked('input[name=victim_type][value=public_body]'));
  await shot(page, 'error.png');
  // following the summary's link moves to the field
  await link.click();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'f-debtor_iban');
  // corrected, it goes through with the same form
  await page.fill('#f-debtor_iban', good);
  await Promise.all([page.waitForURL(/\/case\/R48-/), page.click('button[type=submit]')]);
  assert.deepEqual(page.problems, []);
  await context.close();
}

async function doubleSubmit(javaScriptEnabled) {
  const context = await browser.newContext({ viewport: MOBILE, locale: 'fr-FR', javaScriptEnabled });
  const page = await newPage(context);
  await page.goto(`${relay.base}/`);
  const v = transferValues();
  await fillTransfer(page, v);
  const posts = postsSoFar();
  // A slow network: the first post reaches the relay but its answer is held
  // back, and the victim, seeing nothing happen, presses the button again.
  let held = 0;
  await page.route('**/report', async (route) => {
    if (held++ === 0) {
      const answer = await route.fetch({ maxRedirects: 0 });
      await new Promise((resolve) => setTimeout(resolve, 500));
      await route.fulfill({ response: answer }).catch(() => {});
    } else {
      await route.continue();
    }
  });
  // Raw mouse clicks: Playwright's own click would wait for the first
  // navigation to end, which is what a person in a hurry does not do.
  const button = page.locator('button[type=submit]');
  await button.scrollIntoViewIfNeeded();
  const box = await button.boundingBox();
  const x = box.x + box.width / 2;
  const y = box.y + box.height / 2;
  await page.mouse.click(x, y);
  await page.waitForTimeout(150);
  await page.mouse.click(x, y);
  // The first navigation is aborted by the second: wait for where it ends.
  for (let i = 0; i < 100 && !/\/case\/R48-/.test(page.url()); i++) await page.waitForTimeout(100);
  await page.waitForLoadState();
  assert.match(page.url(), /\/case\/R48-/);
  await page.unroute('**/report');
  // and the case page, reloaded, is the same case
  await page.reload();
  assert.equal(await page.textContent('.deadline-at'), '30 mars 2026 à 11:00');
  const sent = postsSoFar() - posts;
  const cases = sql(`SELECT count(*) FROM cases WHERE debtor_iban = '${compact(v.debtor_iban)}'`);
  console.log(`  sent twice (JavaScript ${javaScriptEnabled ? 'on' : 'off'}): ${sent} posts` +
    ` reached the relay, ${cases} case`);
  assert.equal(sent, 2);
  assert.equal(cases, '1');
  assert.deepEqual(page.problems, []);
  await context.close();
}

async function testDoubleSubmitMakesOneCase() {
  await doubleSubmit(true);
  // a form sent twice for sure: the same post replayed (a reload, a retry)
  const context = await browser.newContext({ viewport: MOBILE, locale: 'fr-FR' });
  const page = await newPage(context);
  await page.goto(`${relay.base}/`);
  const v = transferValues();
  await fillTransfer(page, v);
  const body = await page.evaluate(() =>
    new URLSearchParams(new FormData(document.getElementById('report-form'))).toString());
  const send = () => page.evaluate(async (b) => {
    const r = await fetch('/report', {
      method: 'POST', body: b, redirect: 'manual',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    return r.type;
  }, body);
  const answers = await Promise.all([send(), send(), send()]);
  assert.deepEqual(answers, ['opaqueredirect', 'opaqueredirect', 'opaqueredirect']);
  assert.equal(sql(`SELECT count(*) FROM cases WHERE debtor_iban = '${compact(v.debtor_iban)}'`),
    '1');
  await context.close();
}

async function testWithoutJavaScript() {
  const context = await browser.newContext({ viewport: MOBILE, locale: 'fr-FR', javaScriptEnabled: false });
  const page = await newPage(context);
  await page.goto(`${relay.base}/`);
  assert.ok(await page.isHidden('#f-evidence'), 'no file chooser without JavaScript');
  assert.match(await page.textContent('.evidence .keep'), /Gardez les e-mails/);
  // an error first, then the corrected form: all without a line of script
  const v = transferValues({ postal_code: '6929' });
  await fillTransfer(page, v);
  await page.click('button[type=submit]');
  await page.waitForLoadState();
  assert.match(await page.textContent('#f-postal_code-error'), /Un code postal a 5 chiffres/);
  assert.equal(await page.inputValue('#f-debtor_iban'), v.debtor_iban);
  await page.fill('#f-postal_code', '69290');
  await Promise.all([page.waitForURL(/\/case\/R48-/), page.click('button[type=submit]')]);
  assert.equal(await page.textContent('.deadline-at'), '30 mars 2026 à 11:00');
  // the time left, right without the countdown
  assert.equal(await page.textContent('#time-left'), '45 h');
  assert.ok(await page.isVisible('#time-left-note'));
  assert.match(await page.textContent('#time-left-note'), /Calculé le 28 mars 2026 à 13:00/);
  await shot(page, 'case-nojs.png');
  assert.deepEqual(page.problems, []);
  await context.close();
  await doubleSubmit(false);
}

async function testEnglish() {
  const context = await browser.newContext({ viewport: MOBILE, locale: 'en-GB' });
  const page = await newPage(context);
  // Accept-Language alone chooses English...
  await page.goto(`${relay.base}/`);
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  // ...and the link switches back and forth
  await page.click('header .lang a');
  assert.equal(await page.getAttribute('html', 'lang'), 'fr');
  await page.click('header .lang a');
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  assert.equal(await page.textContent('h1'), 'Report a fraud');
  assert.match(await page.textContent('label[for=f-debtor_iban]'), /Your IBAN/);
  const v = transferValues({ amount: '12500.00', debtor_iban: 'FR76 1234' });
  await fillTransfer(page, v);
  await page.click('button[type=submit]');
  await page.waitForLoadState();
  assert.match(await page.textContent('#f-debtor_iban-error'), /An IBAN of this country has 27/);
  await page.fill('#f-debtor_iban', frIban('30004'));
  await Promise.all([page.waitForURL(/\/case\/R48-.*lang=en/), page.click('button[type=submit]')]);
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  assert.equal(await page.textContent('.deadline-at'), '30 March 2026 at 11:00');
  assert.match(await page.textContent('ol.todo'), /Call your bank's fraud line now/);
  await shot(page, 'case-en.png');
  assert.deepEqual(page.problems, []);
  await context.close();
}

async function testCardRefusesFullNumber() {
  const context = await browser.newContext({ viewport: MOBILE, locale: 'fr-FR' });
  const page = await newPage(context);
  await page.goto(`${relay.base}/`);
  await page.click('nav.paths a[href*="kind=card"]');
  assert.match(await page.textContent('.warning'), /N'écrivez jamais le numéro complet/);
  const pan = luhnPan();
  const before = sql('SELECT count(*) FROM cases');
  await page.fill('#f-card_bin', grouped(pan));
  await page.fill('#f-card_last4', pan.slice(-4));
  await page.fill('#f-op_at', '2026-03-28T08:14');
  await page.fill('#f-op_amount', '849,90');
  await page.fill('#f-op_merchant', 'ELECTRO-DISCOUNT.EXAMPLE');
  await page.fill('#f-op_country', 'NL');
  await page.fill('#f-victim_name', 'Jeanne Martin');
  await page.fill('#f-email', 'jeanne.martin@example.org');
  await page.click('button[type=submit]');
  await page.waitForLoadState();
  assert.match(await page.textContent('#f-card_bin-error'),
    /N'écrivez jamais le numéro complet de la carte : seulement les 6 premiers chiffres/);
  assert.equal(await page.inputValue('#f-card_bin'), '', 'the number is not shown again');
  const html = await page.content();
  assert.ok(!html.includes(pan) && !html.includes(grouped(pan)) && !html.includes(pan.slice(6, 12)));
  assert.equal(await page.inputValue('#f-op_merchant'), 'ELECTRO-DISCOUNT.EXAMPLE');
  assert.equal(sql('SELECT count(*) FROM cases'), before);
  await shot(page, 'card-error.png');
  await page.fill('#f-card_bin', pan.slice(0, 6));
  await Promise.all([page.waitForURL(/\/case\/R48-/), page.click('button[type=submit]')]);
  assert.match(await page.textContent('ol.todo'), /Faites opposition sur la carte/);
  assert.ok(!relayLog().includes(pan) && !relayLog().includes(grouped(pan)));
  assert.deepEqual(page.problems, []);
  await context.close();
}

async function testKeyboardOnly() {
  const context = await browser.newContext({ viewport: MOBILE, locale: 'fr-FR' });
  const page = await newPage(context);
  await page.goto(`${relay.base}/`);
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.className), 'skip');
  await page.keyboard.press('Enter');
  const reached = new Set();
  for (let i = 0; i < 60; i++) {
    await page.keyboard.press('Tab');
    reached.add(await page.evaluate(() => {
      const a = document.activeElement;
      return a.id || (a.type === 'submit' ? 'submit' : a.tagName);
    }));
    if (reached.has('submit')) break;
  }
  for (const id of ['f-executed_at', 'f-amount', 'f-currency', 'f-debtor_iban', 'f-creditor_iban',
    'f-victim_name', 'f-email', 'f-postal_code', 'f-narrative', 'f-evidence', 'submit']) {
    assert.ok(reached.has(id), `${id} reached with Tab (${[...reached].join(' ')})`);
  }
  // a radio group is one Tab stop, its choice made with the arrows
  await page.focus('input[name=scenario][value=fake_bank_advisor]');
  await page.keyboard.press('ArrowDown');
  assert.ok(await page.isChecked('input[name=scenario][value=ceo_fraud]'));
  await context.close();
}

async function testAccessibility() {
  const axe = readFileSync(path.join(here, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
  // axe is injected as a script: this context alone lets it past the CSP.
  const context = await browser.newContext({ viewport: MOBILE, locale: 'fr-FR', bypassCSP: true });
  const page = await context.newPage();
  const check = async (what) => {
    await page.addScriptTag({ content: axe });
    const result = await page.evaluate(() => window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa',
        'best-practice'] },
    }));
    for (const v of result.violations) {
      console.log(`  axe ${what}: ${v.impact} ${v.id}: ${v.help} (${v.nodes.length} node(s): ` +
        `${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')})`);
    }
    const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    assert.deepEqual(bad.map((v) => v.id), [], `serious or critical violations on ${what}`);
    console.log(`  axe ${what}: ${result.passes.length} rules passed, ` +
      `${result.violations.length} violation(s), none serious or critical`);
  };
  await page.goto(`${relay.base}/`);
  await check('the form');
  await page.goto(`${relay.base}/?kind=card&lang=en`);
  await check('the card form (English)');
  await fillTransfer(await page.goto(`${relay.base}/`).then(() => page),
    transferValues({ debtor_iban: 'FR76 0000', email: 'nope', postal_code: '1' }));
  await page.click('button[type=submit]');
  await page.waitForLoadState();
  assert.ok(await page.isVisible('.error-summary'));
  await check('the error state');
  await page.goto(caseUrl);
  await check('the case page');
  await context.close();
}

// ---- runner -----------------------------------------------------------------

const tests = [
  testTransferWithJavaScript,
  testInvalidIbanKeepsValues,
  testDoubleSubmitMakesOneCase,
  testWithoutJavaScript,
  testEnglish,
  testCardRefusesFullNumber,
  testKeyboardOnly,
  testAccessibility,
];

async function main() {
  if (!existsSync(CHROMIUM)) {
    console.error(`${CHROMIUM} not found: run ops/bootstrap.sh (Debian package chromium)`);
    process.exit(1);
  }
  ensureModules();
  mkdirSync(artifacts, { recursive: true });
  const { chromium } = await import('playwright-core');
  relay = await startRelay();
  let passed = 0;
  let failed = 0;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    for (const t of tests) {
      const t0 = Date.now();
      try {
        await t();
        passed++;
        console.log(`PASS ${t.name} (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
      } catch (e) {
        failed++;
        console.log(`FAIL ${t.name} (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
        console.log(e.stack || e);
      }
    }
  } finally {
    if (browser) await browser.close();
    await relay.stop();
    const log = readFileSync(relay.log, 'utf8');
    if (/AddressSanitizer|LeakSanitizer|runtime error:/.test(log)) {
      console.log(`FAIL sanitizer report in ${relay.log}`);
      failed++;
    }
  }
  console.log(`${passed} passed, ${failed} failed (screenshots in ${artifacts})`);
  process.exit(failed || !passed ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
