// The web app walked in real headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core), in English and in Arabic, as three people: the owner creates the company
// and an offer; the client, on a phone-sized window, approves the offer and the contract, pays
// the first instalment on the PayTabs simulator's page and sees "paid"; the owner sees the
// payment with its timeline and refunds part of it. Every page is screenshotted into
// $NESTCMS_SCREENSHOTS/<lang>/, checked with axe-core (no serious or critical violation), and
// watched for content-security-policy violations.
//
// It needs a running `nestcms serve` at $NESTCMS_URL (see .ci/browser.sh, which starts one).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { chromium } from "playwright-core";

const BASE = process.env.NESTCMS_URL ?? "http://127.0.0.1:8080";
// Where the Pay button must lead: our own origin for the built-in simulator, another for PayTabs.
const GATEWAY = process.env.NESTCMS_GATEWAY_ORIGIN ?? new URL(BASE).origin;
const SHOTS = process.env.NESTCMS_SCREENSHOTS ?? "screenshots";
const AXE = readFileSync(new URL("./node_modules/axe-core/axe.min.js", import.meta.url), "utf8");
const RUN = Date.now().toString(36);
const PASSWORD = "correct-horse-battery-staple-9";

// What each language calls a paid payment, a partly refunded one, and an approved contract.
const WORDS = {
  en: { paid: "Paid", partly: "Partly refunded", approved: "Approved by the client", thanks: "Thank you" },
  ar: { paid: "مدفوع", partly: "مسترد جزئيًا", approved: "وافق عليه العميل", thanks: "شكرًا لك" },
};

let browser;

before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    // This machine's network is closed: without these, Chromium keeps trying Google's hosts.
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
});

after(async () => {
  await browser?.close();
});

/// One person's browser: a phone-sized window for the client, a desk for the staff.
async function person(lang, phone, role) {
  const context = await browser.newContext({
    baseURL: BASE,
    locale: lang === "ar" ? "ar-SA" : "en-GB",
    viewport: phone ? { width: 390, height: 844 } : { width: 1280, height: 900 },
    isMobile: phone,
    hasTouch: phone,
  });
  // Recorded before any page script runs; the page's CSP does not apply to this.
  await context.addInitScript(() => {
    window.__csp = [];
    document.addEventListener("securitypolicyviolation", (e) =>
      window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`),
    );
  });
  const page = await context.newPage();
  const problems = [];
  page.on("console", (m) => {
    if (m.type() === "error" && /Content Security Policy|Refused to/i.test(m.text())) {
      problems.push(`${page.url()}: ${m.text()}`);
    }
  });
  page.on("pageerror", (e) => problems.push(`${page.url()}: ${e.message}`));
  return { context, page, problems, lang, role, shot: 0 };
}

/// Screenshot, axe-core and CSP checks of the page `who` is on (one of ours).
async function check(who, name) {
  const { page, lang, role } = who;
  await page.waitForLoadState("load");
  assert.equal(await page.getAttribute("html", "lang"), lang, `${name}: page language`);
  assert.equal(await page.getAttribute("html", "dir"), lang === "ar" ? "rtl" : "ltr", `${name}: direction`);
  who.shot += 1;
  const dir = `${SHOTS}/${lang}`;
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: `${dir}/${role}-${String(who.shot).padStart(2, "0")}-${name}.png`, fullPage: true });
  await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ["violations"] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, at: v.nodes.map((n) => n.target.join(" ")) }));
  });
  const bad = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(bad, [], `${name}: serious or critical accessibility violations`);
  const csp = await page.evaluate(() => window.__csp);
  assert.deepEqual(csp, [], `${name}: content security policy violations`);
  assert.deepEqual(who.problems, [], `${name}: console errors`);
}

async function register(who, name, email) {
  const { page } = who;
  await page.goto("/register");
  await check(who, "register");
  await page.fill("#full_name", name);
  await page.fill("#email", email);
  await page.fill("#password", PASSWORD);
  await Promise.all([page.waitForURL(/\/app$/), page.click('form[action="/register"] button[type=submit]')]);
}

function isoDate(daysFromNow) {
  return new Date(Date.now() + daysFromNow * 86400e3).toISOString().slice(0, 10);
}

for (const lang of ["en", "ar"]) {
  test(`the owner, the client and the payment, in ${lang}`, async () => {
    const w = WORDS[lang];
    const owner = await person(lang, false, "owner");
    const client = await person(lang, true, "client");
    const ownerEmail = `owner-${lang}-${RUN}@example.com`;
    const clientEmail = `client-${lang}-${RUN}@example.com`;

    // The sign-in page, with its security policy, then a new account and company.
    const first = await owner.page.goto("/");
    const csp = first.headers()["content-security-policy"] ?? "";
    assert.match(csp, /default-src 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline/);
    await check(owner, "sign-in");
    await register(owner, "Huda Al-Amri", ownerEmail);
    // The session lives in cookies script cannot read, which other sites' forms do not send.
    for (const c of await owner.context.cookies()) {
      if (c.name.startsWith("nestcms_")) {
        assert.equal(c.httpOnly, true, `${c.name} is HttpOnly`);
        assert.equal(c.sameSite, "Lax", `${c.name} is SameSite=Lax`);
      }
    }
    assert.ok((await owner.context.cookies()).some((c) => c.name === "nestcms_access"), "signed in");
    await check(owner, "companies");
    await owner.page.fill("#title", `Nest Builders ${lang} ${RUN}`);
    await Promise.all([owner.page.waitForURL(/\/app\/o\/[0-9a-f-]+$/), owner.page.click('form[action="/app/orgs"] button')]);
    const org = owner.page.url().split("/app/o/")[1];
    await check(owner, "dashboard");

    // The owner invites the client and passes the link on.
    await owner.page.goto(`/app/o/${org}/members`);
    await owner.page.fill("#invite-email", clientEmail);
    await owner.page.selectOption("#invite-role", "client");
    await owner.page.click(`form[action="/app/o/${org}/invitations"] button`);
    const join = await owner.page.getAttribute("#join-link", "href");
    assert.match(join, /^\/app\?join=/);
    await check(owner, "members");

    // The client, on a phone, opens the link, makes an account on the way, and joins.
    await client.page.goto(join);
    await client.page.waitForURL(/\/\?next=/);
    await client.page.click('a[href^="/register"]');
    await check(client, "register");
    await client.page.fill("#full_name", "Noura Al-Fahad");
    await client.page.fill("#email", clientEmail);
    await client.page.fill("#password", PASSWORD);
    await Promise.all([client.page.waitForURL(/\/app\?join=/), client.page.click('form[action="/register"] button[type=submit]')]);
    await Promise.all([client.page.waitForURL(/\/app\/o\//), client.page.click('form[action="/app/join"] button')]);
    await check(client, "portal");

    // The owner writes an offer.
    await owner.page.goto(`/app/o/${org}/offers`);
    await owner.page.fill("#offer-title", "Villa extension");
    await owner.page.fill("#scope", "Two rooms and a majlis on the ground floor.");
    await owner.page.fill("#price", "1500.00");
    await owner.page.selectOption("#currency", "SAR");
    await owner.page.click(`form[action="/app/o/${org}/offers"] button`);
    await owner.page.waitForSelector("li.offer");
    await check(owner, "offers");

    // The client approves it: it becomes a contract in review.
    await client.page.goto(`/app/o/${org}/offers`);
    await check(client, "offer-to-answer");
    await Promise.all([client.page.waitForURL(/\/contracts\//), client.page.click('form[action$="/approve"] button')]);
    const contract = client.page.url().split("/contracts/")[1];
    await check(client, "contract-in-review");

    // The owner sets the instalments: the running sum shows a mismatch, which is refused.
    await owner.page.goto(`/app/o/${org}/contracts/${contract}`);
    const amounts = owner.page.locator('input[name="amount"]');
    const dues = owner.page.locator('input[name="due"]');
    await amounts.nth(0).fill("500.00");
    await dues.nth(0).fill(isoDate(0));
    await amounts.nth(1).fill("900.00");
    await dues.nth(1).fill(isoDate(30));
    assert.equal(await owner.page.textContent("#running-sum"), "1400.00");
    assert.match(await owner.page.getAttribute("#running-sum", "class"), /mismatch/);
    await owner.page.click("form.instalments button");
    await owner.page.waitForSelector('p.error[role="alert"]');
    await check(owner, "schedule-refused");
    await owner.page.locator('input[name="amount"]').nth(1).fill("1000.00");
    assert.match(await owner.page.getAttribute("#running-sum", "class"), /\bmatch\b/);
    await owner.page.click("form.instalments button");
    // Saved: the schedule's table (not the editor) has both rows with their standing.
    await owner.page.waitForSelector("table tbody tr:nth-child(2) td .state");
    await check(owner, "schedule");

    // The client approves the contract and pays the first instalment on the gateway's page.
    await client.page.goto(`/app/o/${org}/contracts/${contract}`);
    await Promise.all([
      client.page.waitForURL(new RegExp(`/contracts/${contract}$`)),
      client.page.click('form[action$="/approve"] button'),
    ]);
    assert.equal((await client.page.textContent("section.card .state")).trim(), w.approved);
    await check(client, "contract-approved");
    // The gateway's page: the built-in simulator (same origin), or PayTabs elsewhere.
    await Promise.all([client.page.waitForURL(/\/payment\/page\//), client.page.click('form[action$="/pay/1"] button')]);
    assert.equal(new URL(client.page.url()).origin, GATEWAY, "the gateway's own page");
    await client.page.screenshot({ path: `${SHOTS}/${lang}/client-${String(++client.shot).padStart(2, "0")}-gateway.png` });
    client.problems.length = 0; // the simulator's page is not ours
    await Promise.all([client.page.waitForURL(/\/app\/paid\?/), client.page.click('form:has(input[value="A"]) button')]);
    await client.page.waitForFunction(
      (paid) => document.querySelector("#payment-state")?.textContent.trim() === paid,
      w.paid,
    );
    assert.match(await client.page.textContent("#result"), new RegExp(w.thanks));
    await check(client, "paid");

    // The owner sees the payment with its timeline and refunds part of it.
    await owner.page.goto(`/app/o/${org}/payments?state=paid`);
    await check(owner, "payments");
    await Promise.all([owner.page.waitForURL(/\/payments\/[0-9a-f-]+$/), owner.page.click("ul.list li a")]);
    assert.ok((await owner.page.locator("ol.timeline li").count()) >= 3, "created, page issued, paid");
    await check(owner, "payment");
    await owner.page.fill("#refund-amount", "100.00");
    await owner.page.fill("#reason", "Less tiling than quoted");
    await owner.page.click('form[action$="/refunds"] button');
    await owner.page.waitForFunction(
      (partly) => document.querySelector("#payment-state")?.textContent.trim() === partly,
      w.partly,
    );
    await check(owner, "refunded");

    // The owner starts the project: a step done, a design with a link and an uploaded version,
    // a note for the client.
    await owner.page.goto(`/app/o/${org}/projects`);
    await owner.page.fill("#project-title", "Villa extension works");
    await Promise.all([owner.page.waitForURL(/\/projects\/[0-9a-f-]+$/), owner.page.click(`form[action="/app/o/${org}/projects"] button`)]);
    const project = owner.page.url();
    for (const step of ["Foundations", "Walls"]) {
      await owner.page.fill("#step-title", step);
      await Promise.all([owner.page.waitForURL(project), owner.page.click('form[action$="/steps"] button')]);
    }
    await owner.page.click('form[action$="/in_progress"] button');
    await owner.page.waitForSelector('form[action$="/completed"]');
    await owner.page.click('form[action$="/completed"] button');
    await owner.page.waitForFunction(() => document.querySelector("#progress")?.value === 1);
    await owner.page.fill("#design-title", "Ground floor plan");
    await owner.page.fill("#design-url", "https://plans.example.com/ground-floor.pdf");
    await Promise.all([owner.page.waitForURL(project), owner.page.click('form[action$="/designs"] button')]);
    await owner.page.setInputFiles('input[type="file"]', {
      name: "ground-floor.png",
      mimeType: "image/png",
      buffer: await owner.page.screenshot(),
    });
    await Promise.all([owner.page.waitForURL(project), owner.page.click('form[enctype="multipart/form-data"] button')]);
    assert.equal(await owner.page.locator('a[href$="/versions/2/file"]').count(), 1, "the uploaded version");
    await owner.page.fill("#note", "Tiles arrive on Sunday.");
    await Promise.all([owner.page.waitForURL(project), owner.page.click('form[action$="/notes"] button')]);
    await check(owner, "project");

    // The client follows the project on the phone.
    await client.page.goto(project);
    assert.equal(await client.page.getAttribute("#progress", "value"), "1");
    assert.match(await client.page.textContent("main"), /Tiles arrive on Sunday/);
    await check(client, "project");

    // The office: an agenda item and one that clashes with it, a profit distributed to a
    // commission, the articles editor, invoices and the security log.
    await owner.page.goto(`/app/o/${org}/schedules`);
    const day = isoDate(2);
    for (const [title, from, to] of [["Site visit", "09:00", "11:00"], ["Supplier call", "10:00", "10:30"]]) {
      await owner.page.fill("#item-title", title);
      await owner.page.fill("#starts", `${day}T${from}`);
      await owner.page.fill("#ends", `${day}T${to}`);
      await owner.page.selectOption("#employee", { index: 1 });
      await Promise.all([
        owner.page.waitForResponse((r) => r.request().method() === "POST" && r.url().endsWith("/schedules")),
        owner.page.click(`form[action="/app/o/${org}/schedules"] button`),
      ]);
      await owner.page.waitForLoadState("load");
    }
    assert.match(await owner.page.textContent('p.error[role="alert"]'), /overlaps "Site visit"/);
    await check(owner, "schedule-conflict-refused");
    await owner.page.goto(`/app/o/${org}/schedules`);
    assert.match(await owner.page.textContent("main"), /Site visit/);
    await check(owner, "agenda");

    await owner.page.goto(`/app/o/${org}/earnings`);
    await owner.page.selectOption("#commission-project", { index: 0 });
    await owner.page.fill("#commission-rate", "10");
    await Promise.all([owner.page.waitForURL(/\/earnings$/), owner.page.click(`form[action="/app/o/${org}/commissions"] button`)]);
    await owner.page.fill("#earning-title", "November works");
    await owner.page.selectOption("#earning-project", { index: 1 });
    await owner.page.fill("#earning-amount", "400.00");
    await owner.page.selectOption("#earning-currency", "SAR");
    await Promise.all([owner.page.waitForURL(/\/earnings$/), owner.page.click(`form[action="/app/o/${org}/earnings"] button`)]);
    await Promise.all([owner.page.waitForURL(/\/earnings$/), owner.page.click('form[action$="/distribute"] button')]);
    assert.equal(await owner.page.locator('form[action$="/distribute"]').count(), 0, "distributed once");
    await check(owner, "earnings");

    await owner.page.goto(`/app/o/${org}/articles`);
    await owner.page.fill("#article-title", `Villa handed over ${lang} ${RUN}`);
    await owner.page.fill("#article-body", "The extension was finished on time.");
    await Promise.all([owner.page.waitForURL(/\/articles$/), owner.page.click(`form[action="/app/o/${org}/articles"] button`)]);
    await Promise.all([owner.page.waitForURL(/\/articles$/), owner.page.click('form[action$="/publish"] button')]);
    await check(owner, "articles");

    for (const page of ["invoices", "audit", "members"]) {
      await owner.page.goto(`/app/o/${org}/${page}`);
      await check(owner, page);
    }
    assert.match(await owner.page.textContent("main"), new RegExp(clientEmail));
    await client.page.goto(`/app/o/${org}/payments`);
    await check(client, "my-payments");
    await client.page.goto(`/app/o/${org}/invoices`);
    await check(client, "my-invoices");
    await client.page.goto("/app/notifications");
    await check(client, "notifications");

    // A form posted without its token is refused.
    const forged = await owner.context.request.post("/app/orgs", { form: { title: "Forged" }, maxRedirects: 0 });
    assert.equal(forged.status(), 403);

    await owner.context.close();
    await client.context.close();
  });
}

test("the logins `nestcms seed --demo` printed work on the sign-in page", { skip: !process.env.NESTCMS_DEMO_LOGIN }, async () => {
  const who = await person("en", false, "demo-owner");
  await who.page.goto("/");
  await who.page.fill("#email", process.env.NESTCMS_DEMO_LOGIN);
  await who.page.fill("#password", process.env.NESTCMS_DEMO_PASSWORD);
  await Promise.all([who.page.waitForURL(/\/app$/), who.page.click('form[action="/signin"] button')]);
  await who.page.click("ul.list a");
  await check(who, "demo-dashboard");
  assert.ok(await who.page.locator("svg.chart rect").count() > 0, "the demo's earnings are charted");

  // The demo owner is made a platform operator by .ci/browser.sh: the operations console.
  await who.page.goto("/app");
  await Promise.all([who.page.waitForURL(/\/ops$/), who.page.click('a[href="/ops"]')]);
  assert.ok(["healthy", "degraded"].includes((await who.page.textContent("#overall")).trim()));
  await check(who, "operations");
  const breakers = who.page.locator('form[action^="/ops/breakers/"] button');
  assert.ok((await breakers.count()) > 0, "the breakers are listed");
  await Promise.all([who.page.waitForURL(/\/ops$/), breakers.first().click()]);

  // The API's interactive documentation, served from the binary.
  await who.page.goto("/docs/");
  await who.page.waitForSelector(".opblock", { timeout: 30000 });
  await who.page.screenshot({ path: `${SHOTS}/en/demo-owner-docs.png` });
  assert.deepEqual(await who.page.evaluate(() => window.__csp), [], "/docs: CSP violations");
  assert.deepEqual(who.problems, [], "/docs: console errors");
  await who.context.close();
});
