// sdk-all.mjs calls every method of the official @pipedream/sdk (pinned in
// package-lock.json) against a pdemu emulator and checks what comes back:
// ids, fields, shapes (re-validated with the SDK's own serializers) and the
// state changes each call makes. It uses both kinds of credentials: an
// OAuth client (new PipedreamClient() from the PIPEDREAM_* variables) and
// Connect-token clients (a tokenProvider handing out a ctok_ made with
// tokens.create), and checks that a Connect token is refused where only
// OAuth is accepted. Every SDK call goes through a recording wrapper; at the
// end the script enumerates the SDK client's resource methods from the
// client object itself and fails if any was never called, so a method added
// to the SDK cannot be skipped silently.
//
// ../sdk_all_test.go starts the emulator and an echo server for the proxy,
// and runs this script with:
//
//   PIPEDREAM_BASE_URL, PIPEDREAM_CLIENT_ID, PIPEDREAM_CLIENT_SECRET,
//   PIPEDREAM_PROJECT_ID, PIPEDREAM_PROJECT_ENVIRONMENT   the emulator
//   PDEMU_UPSTREAM_URL         an HTTP server on loopback that echoes each
//                              request as JSON {method, path, query, headers,
//                              body} (and answers /bytes with 6 raw bytes)
//   PIPEDREAM_WORKFLOW_DOMAIN  127.0.0.1 (default: the base URL's host), so
//                              the SDK invokes workflows at
//                              ${PIPEDREAM_BASE_URL}/_workflows/{endpoint_id}
//   PDEMU_SDK_LOGO             optional: the data URI projects.updateLogo
//                              uploads to the seeded project
//
// Everything else (apps, components, accounts, files, workflows, events)
// it sets up itself through the emulator's control plane, with names that
// carry a random suffix, so it also runs by hand against `pdemu serve
// --freeze-clock` next to an echo server (the checks compare times with
// the emulator's clock, read once at the start). It prints one line per
// step and a summary line; it stops at the first failure of a step that
// later ones build on, goes on after a failed independent one (a refusal,
// say), and exits non-zero if anything failed.

import { readFileSync, existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { isDeepStrictEqual } from "node:util";

import { BadRequestError, Pipedream, PipedreamClient, PipedreamError, serialization } from "@pipedream/sdk";

const env = process.env;
for (const name of [
  "PIPEDREAM_BASE_URL",
  "PIPEDREAM_CLIENT_ID",
  "PIPEDREAM_CLIENT_SECRET",
  "PIPEDREAM_PROJECT_ID",
  "PDEMU_UPSTREAM_URL",
]) {
  if (!env[name]) {
    console.error(`sdk-all: ${name} is not set`);
    process.exit(2);
  }
}
const baseUrl = env.PIPEDREAM_BASE_URL.replace(/\/+$/, "");
const projectId = env.PIPEDREAM_PROJECT_ID;
const projEnv = env.PIPEDREAM_PROJECT_ENVIRONMENT || "production";
const upstream = env.PDEMU_UPSTREAM_URL.replace(/\/+$/, "");
// The SDK only invokes workflows on hosts that end with its workflow domain.
env.PIPEDREAM_WORKFLOW_DOMAIN ||= new URL(baseUrl).hostname;
const logo =
  env.PDEMU_SDK_LOGO ||
  "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";
const suffix = Math.random().toString(36).slice(2, 8).replace(/[^a-z0-9]/g, "x").padEnd(6, "x");

// The 70 methods of @pipedream/sdk 3.1.6: the enumeration at the end must
// find at least these (a check of the enumeration itself).
const KNOWN_METHODS = `
accounts.list accounts.create accounts.retrieve accounts.delete accounts.deleteByApp accounts.listByExternalUser
users.list users.deleteExternalUser
actions.list actions.retrieve actions.configureProp actions.reloadProps actions.run
triggers.list triggers.retrieve triggers.configureProp triggers.reloadProps triggers.deploy
components.list components.retrieve components.configureProp components.reloadProps
deployedTriggers.list deployedTriggers.retrieve deployedTriggers.update deployedTriggers.delete
deployedTriggers.listEvents deployedTriggers.listWorkflows deployedTriggers.updateWorkflows
deployedTriggers.listWebhooks deployedTriggers.updateWebhooks deployedTriggers.retrieveWebhook
deployedTriggers.regenerateWebhookSigningKey
proxy.get proxy.post proxy.put proxy.delete proxy.patch
tokens.create tokens.validate
projects.list projects.create projects.retrieve projects.update projects.delete projects.updateLogo projects.retrieveInfo
usage.list apps.list apps.retrieve appCategories.list appCategories.retrieve
projectEnvironment.retrieveWebhook projectEnvironment.updateWebhook projectEnvironment.deleteWebhook
projectEnvironment.regenerateWebhookSigningKey
oauthApps.list oauthApps.create oauthApps.retrieve oauthApps.update oauthApps.delete
appOverrides.list appOverrides.create appOverrides.retrieve appOverrides.update appOverrides.delete
fileStash.downloadFile oauthTokens.create workflows.invoke workflows.invokeForExternalUser
`.trim().split(/\s+/);

// The methods whose endpoints take a Connect token: each must be called
// with a Connect-token client at least once (retrieveWebhook and
// regenerateWebhookSigningKey of deployed triggers are OAuth-only in the
// OpenAPI document, so that call is expected to be refused).
const CONNECT_METHODS = `
accounts.list accounts.retrieve accounts.create users.deleteExternalUser actions.run triggers.deploy
deployedTriggers.list deployedTriggers.retrieve deployedTriggers.update deployedTriggers.delete
deployedTriggers.listEvents deployedTriggers.listWorkflows deployedTriggers.updateWorkflows
deployedTriggers.listWebhooks deployedTriggers.updateWebhooks deployedTriggers.retrieveWebhook
deployedTriggers.regenerateWebhookSigningKey
proxy.get proxy.post proxy.put proxy.delete proxy.patch
`.trim().split(/\s+/);

// ---------------------------------------------------------------- helpers

let passed = 0;
let failed = 0;

class CheckError extends Error {}

function assert(cond, message) {
  if (!cond) throw new CheckError(message);
}

function j(v) {
  return JSON.stringify(v, (_, x) => (typeof x === "bigint" ? String(x) : x));
}

function assertEq(got, want, what) {
  assert(isDeepStrictEqual(got, want), `${what} = ${j(got)}, want ${j(want)}`);
}

function describe(err) {
  if (err instanceof PipedreamError) {
    // err.message repeats the status and body over several lines.
    const body = err.body === undefined ? err.message.split("\n")[0] : j(err.body);
    return `${err.constructor.name} statusCode=${err.statusCode} body=${body}`;
  }
  return err?.stack ?? String(err);
}

function summary() {
  return `sdk-all: ${passed} passed, ${failed} failed`;
}

// step runs one check. A failure stops the script, since later steps use
// what earlier ones made, unless the step is independent (nothing after it
// depends on it): then the script goes on and fails at the end.
async function step(name, fn, { independent = false } = {}) {
  try {
    const detail = await fn();
    passed++;
    console.log(`ok   ${name}${detail ? ` (${detail})` : ""}`);
  } catch (err) {
    failed++;
    console.log(`FAIL ${name}: ${err instanceof CheckError ? err.message : describe(err)}`);
    if (!independent) {
      console.log(summary());
      process.exit(1);
    }
  }
}

// expectError runs fn and returns the PipedreamError it must throw, with the
// given status.
async function expectError(fn, status, what) {
  let err;
  try {
    await fn();
  } catch (e) {
    err = e;
  }
  assert(err !== undefined, `${what}: succeeded, want a ${status} error`);
  assert(err instanceof PipedreamError, `${what}: threw ${describe(err)}, want a PipedreamError`);
  assert(err.statusCode === status, `${what}: statusCode ${err.statusCode} (body ${j(err.body)}), want ${status}`);
  return err;
}

// A Connect token on an OAuth-only endpoint: 401 invalid_token.
async function expectConnectRefused(fn, what) {
  const err = await expectError(fn, 401, what);
  assert(err.body?.error === "invalid_token", `${what}: body ${j(err.body)}, want error "invalid_token"`);
  return err;
}

async function controlPlane(method, p, body, wantStatus) {
  const res = await fetch(`${baseUrl}${p}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (wantStatus !== undefined) {
    assert(res.status === wantStatus, `${method} ${p}: ${res.status} ${text}, want ${wantStatus}`);
  } else {
    assert(res.ok, `${method} ${p}: ${res.status} ${text}`);
  }
  return text ? JSON.parse(text) : undefined;
}

// conforms re-serializes a value the SDK parsed with the SDK's own schema,
// validation on: a missing required field, a wrong type (a string where a
// Date or number belongs) or a value no union member accepts fails. The SDK
// itself parses responses with skipValidation, so it would not notice.
function conforms(schema, value, what) {
  const s = typeof schema === "string" ? schema.split(".").reduce((o, k) => o?.[k], serialization) : schema;
  assert(s?.json, `no serializer ${schema}`);
  const res = s.json(value, {
    unrecognizedObjectKeys: "passthrough",
    allowUnrecognizedUnionMembers: false,
    allowUnrecognizedEnumValues: false,
    omitUndefined: true,
    breadcrumbsPrefix: [what],
  });
  assert(res.ok, `${what} does not conform to the SDK's ${schema}: ${j(res.errors)}`);
}

function isDate(v) {
  return v instanceof Date && !Number.isNaN(v.getTime());
}

function prefixed(v, p) {
  return typeof v === "string" && v.startsWith(p) && v.length > p.length;
}

// walk pages through a list with the SDK's pager (hasNextPage/getNextPage),
// checking page sizes and page_info on the way; it returns every item.
async function walk(first, limit, what) {
  let page = await first;
  const items = [];
  const sizes = [];
  const total = page.response?.pageInfo?.totalCount;
  for (;;) {
    const info = page.response?.pageInfo;
    assert(info, `${what}: page ${sizes.length + 1} has no page_info`);
    assert(page.data.length <= limit, `${what}: page ${sizes.length + 1} has ${page.data.length} items, limit ${limit}`);
    if (info.count !== undefined) {
      assert(info.count === page.data.length, `${what}: page_info.count ${info.count} but ${page.data.length} items`);
    }
    sizes.push(page.data.length);
    items.push(...page.data);
    if (!page.hasNextPage()) break;
    assert(page.data.length === limit, `${what}: page ${sizes.length} has ${page.data.length} < ${limit} items but a next page`);
    assert(sizes.length < 100, `${what}: pager did not stop after 100 pages`);
    page = await page.getNextPage();
  }
  if (total !== undefined) {
    assert(total === items.length, `${what}: page_info.total_count ${total}, walked ${items.length} items`);
  }
  return { items, sizes, pages: sizes.length };
}

function noDuplicates(ids, what) {
  const seen = new Set();
  for (const id of ids) {
    assert(!seen.has(id), `${what}: ${id} seen twice`);
    seen.add(id);
  }
}

function includesAll(ids, want, what) {
  const missing = want.filter((id) => !ids.includes(id));
  assert(missing.length === 0, `${what}: missing ${missing.join(", ")}`);
}

// ------------------------------------------------- the recording wrapper

const calls = new Map(); // "resource.method" -> Set of credential kinds

function record(name, kind) {
  if (!calls.has(name)) calls.set(name, new Set());
  calls.get(name).add(kind);
}

// instrument wraps a client so that every call of a resource method is
// recorded under "resource.method" with the credential kind.
function instrument(client, kind) {
  const resources = new Map();
  return new Proxy(client, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (typeof prop !== "string" || prop.startsWith("_") || value === null || typeof value !== "object" || typeof value.then === "function") {
        return value;
      }
      if (!resources.has(prop)) {
        resources.set(
          prop,
          new Proxy(value, {
            get(res, name) {
              const fn = Reflect.get(res, name, res);
              if (typeof name !== "string" || typeof fn !== "function" || name.startsWith("_")) return fn;
              return (...args) => {
                record(`${prop}.${name}`, kind);
                return fn.apply(res, args);
              };
            },
          }),
        );
      }
      return resources.get(prop);
    },
  });
}

// sdkMethods enumerates the public methods of every resource of a client:
// the getters along its prototype chain that return a resource client, and
// each resource's own prototype methods, less the ones its type declaration
// (dist/cjs/api/resources/<resource>/client/Client.d.ts) marks private.
function sdkMethods(client) {
  const require = createRequire(import.meta.url);
  const dist = path.dirname(require.resolve("@pipedream/sdk")); // dist/cjs
  const out = [];
  const seen = new Set();
  for (let proto = Object.getPrototypeOf(client); proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      const d = Object.getOwnPropertyDescriptor(proto, name);
      if (!d.get || seen.has(name)) continue;
      seen.add(name);
      const res = client[name];
      if (res === null || typeof res !== "object") continue;
      if (typeof res.then === "function") {
        res.then(undefined, () => {}); // rawAccessToken: a promise, not a resource
        continue;
      }
      const dts = path.join(dist, "api", "resources", name, "client", "Client.d.ts");
      const privates = new Set();
      if (existsSync(dts)) {
        for (const m of readFileSync(dts, "utf8").matchAll(/^\s*(?:private|protected)\s+(?:static\s+)?(?:readonly\s+)?(\w+)/gm)) {
          privates.add(m[1]);
        }
      }
      for (let rp = Object.getPrototypeOf(res); rp && rp !== Object.prototype; rp = Object.getPrototypeOf(rp)) {
        for (const m of Object.getOwnPropertyNames(rp)) {
          if (m === "constructor" || m.startsWith("_") || privates.has(m)) continue;
          if (typeof Object.getOwnPropertyDescriptor(rp, m).value !== "function") continue;
          if (!out.includes(`${name}.${m}`)) out.push(`${name}.${m}`);
        }
      }
    }
  }
  return out.sort();
}

// ------------------------------------------------------------- the wire

// The SDK's fetches go through globalThis.fetch, which its clients capture
// when they are made (so the spy comes first): it records each request's
// method, path, kind of bearer credential and environment header, to check
// what the SDK put on the wire.
const sent = [];
const realFetch = globalThis.fetch;
globalThis.fetch = (input, init = {}) => {
  const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
  const h = new Headers(init.headers ?? (input instanceof Request ? input.headers : undefined));
  const bearer = (h.get("authorization") ?? "").replace(/^Bearer /i, "");
  sent.push({
    method: (init.method ?? "GET").toUpperCase(),
    url,
    path: new URL(url).pathname,
    credential: bearer.startsWith("ctok_") ? "connect" : bearer.startsWith("eyJ") ? "oauth" : bearer ? "other" : "none",
    environment: h.get("x-pd-environment"),
  });
  return realFetch(input, init);
};

// lastSent returns the last request the SDK sent to a path matching re.
function lastSent(re) {
  const r = sent.findLast((x) => re.test(x.path));
  assert(r, `no request to ${re} was sent`);
  return r;
}

// ------------------------------------------------------------- the clients

// The OAuth client reads every setting from the PIPEDREAM_* variables.
const oa = instrument(new PipedreamClient(), "oauth");

// connectClient makes a Connect token for an external user and a client
// that authenticates with it. The SDK's wrapper takes any object with
// getToken() as tokenProvider (core/auth/TokenProvider.d.ts) and then asks
// for no client credentials; the project id stays empty: the token implies
// it (the SDK collapses the empty path segment, except for the proxy).
async function connectClient(externalUserId, opts = {}) {
  const tok = await oa.tokens.create({ externalUserId, ...opts });
  const client = instrument(
    new PipedreamClient({
      tokenProvider: { getToken: async () => tok.token },
      projectId: "",
      baseUrl,
      projectEnvironment: projEnv,
    }),
    "connect",
  );
  return { token: tok.token, created: tok, client };
}

const clock = await controlPlane("GET", "/_emulator/clock");
const nowMs = Date.parse(clock.now);
const nowSec = Math.floor(nowMs / 1000);

const user = `sdk-all-${suffix}-alice`; // the Connect-token user
const doomedByConnect = `sdk-all-${suffix}-doomed-ct`;
const doomedByOAuth = `sdk-all-${suffix}-doomed-oa`;
const pagerUsers = Array.from({ length: 12 }, (_, i) => `sdk-all-${suffix}-p${String(i + 1).padStart(2, "0")}`);
const wfUser = `sdk-all-${suffix}-wf`;

// What the script meters, to check usage.list against.
const metered = { actionRuns: 0, proxyCalls: 0, sourceEmits: 0 };

// ------------------------------------------------------------- setup

await step("control plane: capabilities", async () => {
  const caps = await controlPlane("GET", "/_emulator/capabilities");
  includesAll(caps.capabilities, ["connect_accounts", "apps", "components", "trigger_events", "workflows", "file_stash"], "capabilities");
  return caps.capabilities.join(" ");
});

// ------------------------------------------------------------- OAuth token

await step("oauthTokens.create", async () => {
  const got = await oa.oauthTokens.create({ clientId: env.PIPEDREAM_CLIENT_ID, clientSecret: env.PIPEDREAM_CLIENT_SECRET });
  conforms("CreateOAuthTokenResponse", got, "token");
  assert(got.tokenType === "Bearer", `tokenType ${j(got.tokenType)}`);
  assert(got.expiresIn === 3600, `expiresIn ${j(got.expiresIn)}`);
  const claims = JSON.parse(Buffer.from(String(got.accessToken).split(".")[1] ?? "", "base64url").toString("utf8"));
  assert(claims.exp - claims.iat === 3600 && prefixed(claims.sub, "o_"), `claims ${j(claims)}`);
  assert(Math.abs(claims.iat - nowSec) < 120, `iat ${claims.iat}, emulator clock ${nowSec}`);
  const bad = await expectError(
    () => oa.oauthTokens.create({ clientId: env.PIPEDREAM_CLIENT_ID, clientSecret: "not-the-secret" }),
    401,
    "oauthTokens.create with a wrong secret",
  );
  assert(bad.body?.error === "invalid_client", `wrong secret: body ${j(bad.body)}`);
  return `sub=${claims.sub}, wrong secret -> 401 invalid_client`;
});

let usageBefore;
await step("usage.list (baseline)", async () => {
  usageBefore = await usageTotals();
  return j(usageBefore);
});

async function usageTotals() {
  const got = await oa.usage.list({ startTs: nowSec - 3600, endTs: nowSec + 3600 });
  conforms("ConnectUsageResponse", got, "usage");
  assert(Array.isArray(got.data) && got.data.length > 0, `usage data ${j(got.data)}`);
  const t = { credits: 0, actionRuns: 0, proxyCalls: 0, sourceEmits: 0 };
  for (const r of got.data) {
    assert(r.usageStartTs < r.usageEndTs, `record window ${r.usageStartTs}..${r.usageEndTs}`);
    assert(r.usageStartTs >= nowSec - 3600 && r.usageEndTs <= nowSec + 3600, `record ${j(r)} outside the window asked for`);
    assert(
      r.creditsUsed === (r.actionRunCreditsUsed ?? 0) + (r.proxyCreditsUsed ?? 0) + (r.sourceEmitCreditsUsed ?? 0),
      `record ${j(r)}: creditsUsed is not the sum of its parts`,
    );
    t.credits += r.creditsUsed;
    t.actionRuns += r.actionRunCreditsUsed ?? 0;
    t.proxyCalls += r.proxyCreditsUsed ?? 0;
    t.sourceEmits += r.sourceEmitCreditsUsed ?? 0;
  }
  return t;
}

// ------------------------------------------------------------- projects

let created;
await step("projects.create", async () => {
  created = await oa.projects.create({ name: `sdk-all ${suffix}`, appName: "SDK All", supportEmail: "help@example.com" });
  conforms("Project", created, "project");
  assert(prefixed(created.id, "proj_"), `id ${created.id}`);
  assertEq([created.name, created.appName, created.supportEmail], [`sdk-all ${suffix}`, "SDK All", "help@example.com"], "fields");
  return created.id;
});

await step("projects.retrieve", async () => {
  const got = await oa.projects.retrieve(created.id);
  conforms("Project", got, "project");
  assertEq(got, created, "retrieved project");
});

await step("projects.update", async () => {
  const got = await oa.projects.update(created.id, { name: `sdk-all renamed ${suffix}`, connectRequireKeyAuthTest: true });
  assertEq([got.id, got.name, got.appName, got.connectRequireKeyAuthTest], [created.id, `sdk-all renamed ${suffix}`, "SDK All", true], "updated");
  const again = await oa.projects.retrieve(created.id);
  assertEq(again, got, "retrieved after update");
});

await step("projects.list (pager, limit 2)", async () => {
  const extra = [];
  for (let i = 0; i < 3; i++) extra.push((await oa.projects.create({ name: `sdk-all pager ${suffix} ${i}` })).id);
  const { items, sizes } = await walk(oa.projects.list({ limit: 2 }), 2, "projects");
  const ids = items.map((p) => p.id);
  noDuplicates(ids, "projects");
  includesAll(ids, [projectId, created.id, ...extra], "projects");
  items.forEach((p, i) => conforms("Project", p, `projects[${i}]`));
  const byQ = [];
  for await (const p of await oa.projects.list({ q: `pager ${suffix}` })) byQ.push(p.id);
  assertEq(byQ.sort(), [...extra].sort(), "projects.list q filter");
  for (const id of extra) await oa.projects.delete(id);
  return `${ids.length} projects in pages of ${sizes.join("+")}`;
});

await step("projects.updateLogo", async () => {
  const res = await oa.projects.updateLogo(projectId, { logo }).withRawResponse();
  assert(res.rawResponse.status >= 200 && res.rawResponse.status < 300, `status ${res.rawResponse.status}`);
  assert(res.data === undefined, `updateLogo returned ${j(res.data)}, want undefined (the 200 has no body)`);
  const err = await expectError(() => oa.projects.updateLogo(created.id, { logo: "data:image/png;base64,bm90IGEgcG5n" }), 400, "bad logo");
  assert(err instanceof BadRequestError, `bad logo threw ${err.constructor.name}, want BadRequestError`);
  await expectError(() => oa.projects.updateLogo("proj_doesnotexist", { logo }), 404, "logo of an unknown project");
  return `status ${res.rawResponse.status}; not a PNG -> 400 BadRequestError`;
});

await step("projects.delete", async () => {
  const res = await oa.projects.delete(created.id).withRawResponse();
  assert(res.rawResponse.status === 204, `status ${res.rawResponse.status}, want 204`);
  await expectError(() => oa.projects.retrieve(created.id), 404, "retrieve after delete");
});

// ------------------------------------------------------------- apps

const addedApps = [];
await step("control plane: add 3 apps", async () => {
  for (let i = 1; i <= 3; i++) {
    const app = await controlPlane(
      "POST",
      "/_emulator/apps",
      {
        name_slug: `pdemu_sdk_${suffix}_${i}`,
        name: `PDEMU SDK ${suffix} ${i}`,
        auth_type: "keys",
        description: "An app sdk-all.mjs added",
        img_src: "https://example.com/logo.png",
        custom_fields_json: [{ name: "api_key", label: "API key", type: "password" }],
        categories: ["Developer Tools"],
      },
      201,
    );
    assert(prefixed(app.id, "app_"), `added app ${j(app)}`);
    addedApps.push(app);
  }
  return addedApps.map((a) => a.name_slug).join(" ");
});

await step("apps.list (pager, limit 10)", async () => {
  const { items, sizes } = await walk(oa.apps.list({ limit: 10 }), 10, "apps");
  const slugs = items.map((a) => a.nameSlug);
  noDuplicates(slugs, "apps");
  includesAll(slugs, ["slack", "github", "openai", ...addedApps.map((a) => a.name_slug)], "apps");
  items.forEach((a, i) => conforms("App", a, `apps[${i}]`));
  assert(sizes.length >= 3, `only ${sizes.length} page(s)`);
  const q = [];
  for await (const a of await oa.apps.list({ q: `pdemu sdk ${suffix}` })) q.push(a.nameSlug);
  assertEq(q.sort(), addedApps.map((a) => a.name_slug).sort(), "apps.list q filter");
  const desc = (await oa.apps.list({ sortKey: "name", sortDirection: "desc", limit: 100 })).data.map((a) => a.name);
  const sorted = [...desc].sort((a, b) => b.localeCompare(a, "en", { sensitivity: "base" }));
  assertEq(desc, sorted, "apps sorted by name, descending");
  const withActions = (await oa.apps.list({ hasActions: true, limit: 100 })).data.map((a) => a.nameSlug);
  assert(withActions.includes("slack") && !withActions.includes(addedApps[0].name_slug), `has_actions filter: ${j(withActions)}`);
  return `${items.length} apps in pages of ${sizes.join("+")}`;
});

await step("apps.retrieve (by slug and by id)", async () => {
  const bySlug = await oa.apps.retrieve("openai");
  conforms("GetAppResponse", bySlug, "app");
  const app = bySlug.data;
  assertEq([app.nameSlug, app.authType], ["openai", "keys"], "openai");
  const fields = JSON.parse(app.customFieldsJson).map((f) => f.name);
  assert(fields.includes("api_key"), `custom fields ${app.customFieldsJson}`);
  const byId = await oa.apps.retrieve(app.id);
  assertEq(byId.data, app, "by id");
  const added = await oa.apps.retrieve(addedApps[0].name_slug);
  assertEq([added.data.id, added.data.name], [addedApps[0].id, addedApps[0].name], "added app");
  await expectError(() => oa.apps.retrieve("no_such_app_ever"), 404, "unknown app");
  return `${app.id} ${app.name}`;
});

let categories;
await step("appCategories.list", async () => {
  categories = await oa.appCategories.list();
  conforms("ListAppCategoriesResponse", categories, "categories");
  assert(Array.isArray(categories) && categories.length > 0, `categories ${j(categories)}`);
  for (const c of categories) assert(prefixed(c.id, "appcat_") && c.name, `category ${j(c)}`);
  assert(categories.some((c) => c.name === "Developer Tools"), "no Developer Tools category");
  return `${categories.length} categories`;
});

await step("appCategories.retrieve", async () => {
  const want = categories.find((c) => c.name === "Developer Tools");
  const got = await oa.appCategories.retrieve(want.id);
  conforms("GetAppCategoryResponse", got, "category");
  assertEq(got, want, "category");
  const inCat = [];
  for await (const a of await oa.apps.list({ categoryIds: [want.id], limit: 50 })) inCat.push(a.nameSlug);
  includesAll(inCat, ["github", addedApps[0].name_slug], "apps in Developer Tools");
  await expectError(() => oa.appCategories.retrieve("appcat_nope"), 404, "unknown category");
});

// ------------------------------------------------------------- Connect tokens and accounts

let ctA; // used up by accounts.create
let ct; // the Connect-token client for `user` from then on
await step("tokens.create", async () => {
  ctA = await connectClient(user, { expiresIn: 3600, successRedirectUri: "https://example.com/ok" });
  const t = ctA.created;
  conforms("CreateTokenResponse", t, "token");
  assert(/^ctok_[0-9a-f]{32}$/.test(t.token), `token ${t.token}`);
  assert(isDate(t.expiresAt), `expiresAt ${j(t.expiresAt)} is not a Date`);
  const ttl = (t.expiresAt.getTime() - nowMs) / 1000;
  assert(ttl > 3500 && ttl <= 3600, `expires in ${ttl}s, asked 3600`);
  const link = new URL(t.connectLinkUrl);
  assert(link.searchParams.get("token") === t.token, `connectLinkUrl ${t.connectLinkUrl}`);
  const dflt = await oa.tokens.create({ externalUserId: user });
  const ttl2 = (dflt.expiresAt.getTime() - nowMs) / 1000;
  assert(ttl2 > 14300 && ttl2 <= 14400, `default expiry ${ttl2}s, want 4h`);
  return `${t.token.slice(0, 9)}…, ${ttl}s`;
});

await step("tokens.validate", async () => {
  const v = await oa.tokens.validate(ctA.token, { appId: "openai" });
  conforms("ValidateTokenResponse", v, "validation");
  assert(v.success === true, `validate ${j(v)}`);
  assertEq([v.projectId, v.projectEnvironment, v.app?.nameSlug, v.successRedirectUri], [projectId, projEnv, "openai", "https://example.com/ok"], "validation");
  const wire = lastSent(/\/validate$/);
  assertEq([wire.method, wire.path], ["GET", `/v1/connect/tokens/${ctA.token}/validate`], "request sent");
  const unknown = await oa.tokens.validate(`ctok_${"0".repeat(32)}`, { appId: "openai" });
  assert(unknown.success === false && unknown.error, `unknown token: ${j(unknown)}`);
  return `success for ${v.app.name}`;
});

let openaiAcc;
await step("accounts.create (Connect token, keys app openai)", async () => {
  openaiAcc = await ctA.client.accounts.create({
    appSlug: "openai",
    cfmapJson: JSON.stringify({ api_key: `sk-${suffix}` }),
    connectToken: ctA.token,
    name: "My OpenAI",
  });
  conforms("Account", openaiAcc, "account");
  assert(prefixed(openaiAcc.id, "apn_"), `id ${openaiAcc.id}`);
  assertEq([openaiAcc.name, openaiAcc.externalId, openaiAcc.healthy, openaiAcc.dead, openaiAcc.app?.nameSlug], ["My OpenAI", user, true, false, "openai"], "account");
  assert(isDate(openaiAcc.createdAt) && isDate(openaiAcc.updatedAt), `times ${j([openaiAcc.createdAt, openaiAcc.updatedAt])}`);
  assert(openaiAcc.credentials === undefined, "accounts.create returned credentials");
  const wire = lastSent(/\/accounts$/);
  // The SDK leaves the empty project id out: the token implies it.
  assertEq([wire.method, wire.path, wire.credential, wire.environment], ["POST", "/v1/connect/accounts", "connect", projEnv], "request sent");
  return `${openaiAcc.id}, POST ${wire.path}`;
});

await step("a Connect token is used up by accounts.create", async () => {
  await expectConnectRefused(() => ctA.client.accounts.list(), "accounts.list with the used token");
  const v = await oa.tokens.validate(ctA.token, { appId: "openai" });
  assert(v.success === false && /used/.test(v.error ?? ""), `validate after use: ${j(v)}`);
  ct = (await connectClient(user)).client;
  return `validate: ${v.error}`;
});

const cpAccounts = {}; // name -> account from the control plane
async function connectViaControlPlane(externalUserId, app, extra = {}) {
  const acc = await controlPlane(
    "POST",
    `/_emulator/projects/${projectId}/accounts`,
    { external_user_id: externalUserId, app, environment: projEnv, ...extra },
    201,
  );
  assert(prefixed(acc.id, "apn_") && acc.external_id === externalUserId && acc.app?.name_slug === app, `connected ${j(acc)}`);
  return acc;
}

await step("control plane: connect OAuth accounts (github, slack, google_sheets, 12 pager users)", async () => {
  cpAccounts.github = await connectViaControlPlane(user, "github", { name: "My GitHub", credentials: { oauth_access_token: `gho_${suffix}` } });
  assert(cpAccounts.github.credentials?.oauth_access_token === `gho_${suffix}`, `credentials ${j(cpAccounts.github.credentials)}`);
  cpAccounts.slack = await connectViaControlPlane(user, "slack");
  cpAccounts.slack2 = await connectViaControlPlane(user, "slack");
  cpAccounts.sheets = await connectViaControlPlane(user, "google_sheets");
  cpAccounts.pager = [];
  for (const u of pagerUsers) cpAccounts.pager.push(await connectViaControlPlane(u, "github"));
  cpAccounts.doomedCT = await connectViaControlPlane(doomedByConnect, "github");
  cpAccounts.doomedOA = await connectViaControlPlane(doomedByOAuth, "slack");
  return `${4 + pagerUsers.length + 2} accounts`;
});

await step("accounts.list (OAuth, pager, limit 5)", async () => {
  const { items, sizes } = await walk(oa.accounts.list({ limit: 5 }), 5, "accounts");
  const ids = items.map((a) => a.id);
  noDuplicates(ids, "accounts");
  const mine = [openaiAcc.id, cpAccounts.github.id, cpAccounts.slack.id, cpAccounts.slack2.id, cpAccounts.sheets.id, ...cpAccounts.pager.map((a) => a.id)];
  includesAll(ids, mine, "accounts");
  items.forEach((a, i) => conforms("Account", a, `accounts[${i}]`));
  assert(items.every((a) => a.credentials === undefined), "credentials listed without include_credentials");
  const gh = [];
  for await (const a of await oa.accounts.list({ app: "github", limit: 100 })) gh.push(a);
  assert(gh.every((a) => a.app?.nameSlug === "github"), `app filter returned ${j(gh.map((a) => a.app?.nameSlug))}`);
  includesAll(gh.map((a) => a.id), [cpAccounts.github.id, ...cpAccounts.pager.map((a) => a.id)], "github accounts");
  return `${ids.length} accounts in pages of ${sizes.join("+")}`;
});

await step("accounts.list (Connect token: only its user's, pager limit 2)", async () => {
  const { items, sizes } = await walk(ct.accounts.list({ limit: 2 }), 2, "accounts (connect)");
  const ids = items.map((a) => a.id).sort();
  const want = [openaiAcc.id, cpAccounts.github.id, cpAccounts.slack.id, cpAccounts.slack2.id, cpAccounts.sheets.id].sort();
  assertEq(ids, want, "the Connect token user's accounts");
  assert(items.every((a) => a.externalId === user), "another user's account listed");
  const withCreds = await ct.accounts.list({ includeCredentials: true });
  assert(withCreds.data.every((a) => a.credentials === undefined), "credentials shown to a Connect token");
  return `${ids.length} accounts in pages of ${sizes.join("+")}`;
});

await step("a Connect token with a narrower scope (connect:accounts:read)", async () => {
  const narrow = await connectClient(user, { scope: "connect:accounts:read" });
  const list = await narrow.client.accounts.list();
  assert(list.data.length > 0, "no accounts listed");
  const err = await expectError(
    () => narrow.client.proxy.get({ url: `${upstream}/x`, externalUserId: user, accountId: cpAccounts.github.id }),
    403,
    "proxy.get without connect:proxy",
  );
  assert(err.body?.error === "insufficient_scope", `body ${j(err.body)}`);
  return "accounts.list ok, proxy.get 403 insufficient_scope";
}, { independent: true });

await step("accounts.retrieve (OAuth with credentials; Connect token)", async () => {
  const got = await oa.accounts.retrieve(cpAccounts.github.id, { includeCredentials: true });
  conforms("Account", got, "account");
  assertEq([got.id, got.name, got.externalId, got.app?.nameSlug], [cpAccounts.github.id, "My GitHub", user, "github"], "account");
  assert(got.credentials?.oauthAccessToken === `gho_${suffix}`, `credentials ${j(got.credentials)}`);
  const keys = await oa.accounts.retrieve(openaiAcc.id, { includeCredentials: true });
  assert(keys.credentials?.api_key === `sk-${suffix}`, `openai credentials ${j(keys.credentials)}`);
  const plain = await oa.accounts.retrieve(openaiAcc.id);
  assert(plain.credentials === undefined, "credentials without include_credentials");
  const viaCT = await ct.accounts.retrieve(openaiAcc.id, { includeCredentials: true });
  assertEq([viaCT.id, viaCT.app?.nameSlug, viaCT.credentials], [openaiAcc.id, "openai", undefined], "via Connect token");
  await expectError(() => ct.accounts.retrieve(cpAccounts.pager[0].id), 404, "another user's account via Connect token");
  await expectError(() => oa.accounts.retrieve("apn_nope"), 404, "unknown account");
});

await step("accounts.listByExternalUser", async () => {
  const all = await oa.accounts.listByExternalUser(user);
  conforms("accounts.listByExternalUser.Response", all, "accounts");
  assert(Array.isArray(all), `not an array: ${j(all)}`);
  assertEq(all.map((a) => a.id).sort(), [openaiAcc.id, cpAccounts.github.id, cpAccounts.slack.id, cpAccounts.slack2.id, cpAccounts.sheets.id].sort(), "user's accounts");
  const gh = await oa.accounts.listByExternalUser(user, { app: "github", includeCredentials: true });
  assertEq(gh.map((a) => a.id), [cpAccounts.github.id], "app filter");
  assert(gh[0].credentials?.oauthAccessToken === `gho_${suffix}`, `credentials ${j(gh[0].credentials)}`);
  return `${all.length} accounts`;
});

await step("accounts.delete (OAuth)", async () => {
  const res = await oa.accounts.delete(cpAccounts.slack2.id).withRawResponse();
  assert(res.rawResponse.status === 204, `status ${res.rawResponse.status}`);
  await expectError(() => oa.accounts.retrieve(cpAccounts.slack2.id), 404, "retrieve after delete");
  await expectError(() => oa.accounts.delete(cpAccounts.slack2.id), 404, "delete again");
});

await step("accounts.deleteByApp (OAuth, slack)", async () => {
  const res = await oa.accounts.deleteByApp("slack").withRawResponse();
  assert(res.rawResponse.status === 204, `status ${res.rawResponse.status}`);
  const left = [];
  for await (const a of await oa.accounts.list({ app: "slack", limit: 100 })) left.push(a.id);
  assertEq(left, [], "slack accounts left");
  await expectError(() => oa.accounts.retrieve(cpAccounts.slack.id), 404, "retrieve a deleted slack account");
  await oa.accounts.retrieve(cpAccounts.github.id); // other apps untouched
  cpAccounts.slack = await connectViaControlPlane(user, "slack", { credentials: { oauth_access_token: `xoxp-${suffix}` } });
});

// ------------------------------------------------------------- users

await step("users.list (pager, limit 5)", async () => {
  const { items, sizes } = await walk(oa.users.list({ limit: 5 }), 5, "users");
  const ext = items.map((u) => u.externalId);
  noDuplicates(ext, "users");
  includesAll(ext, [user, doomedByConnect, doomedByOAuth, ...pagerUsers], "users");
  items.forEach((u, i) => conforms("ExternalUser", u, `users[${i}]`));
  assert(items.every((u) => prefixed(u.id, "exu_")), "user id without exu_");
  return `${ext.length} users in pages of ${sizes.join("+")}`;
});

await step("users.deleteExternalUser (Connect token for the user itself; OAuth)", async () => {
  const doomed = await connectClient(doomedByConnect);
  const res = await doomed.client.users.deleteExternalUser(doomedByConnect).withRawResponse();
  assert(res.rawResponse.status === 204, `status ${res.rawResponse.status}`);
  const res2 = await oa.users.deleteExternalUser(doomedByOAuth).withRawResponse();
  assert(res2.rawResponse.status === 204, `status ${res2.rawResponse.status}`);
  const ext = [];
  for await (const u of await oa.users.list({ q: `sdk-all-${suffix}-doomed` })) ext.push(u.externalId);
  assertEq(ext, [], "deleted users still listed");
  for (const acc of [cpAccounts.doomedCT, cpAccounts.doomedOA]) {
    await expectError(() => oa.accounts.retrieve(acc.id), 404, `account ${acc.id} of a deleted user`);
  }
  const byUser = await oa.accounts.listByExternalUser(doomedByOAuth).catch((e) => e);
  assert(Array.isArray(byUser) ? byUser.length === 0 : byUser.statusCode === 404, `accounts of a deleted user: ${describe(byUser)}`);
});

// ------------------------------------------------------------- components

const echoKey = `pdemu_sdk_${suffix}-echo`;
const registered = { actions: [], triggers: [] };
const echoRun = {
  exports: { $summary: `Echoed for ${suffix}`, answer: 42 },
  os: [{ k: "console.log", msg: "hello from the echo action" }],
  ret: { ok: true, items: [1, 2, 3] },
};
await step("control plane: register 3 actions (one with a run result) and 2 triggers", async () => {
  const echo = await controlPlane(
    "POST",
    "/_emulator/components",
    {
      key: echoKey,
      name: "SDK Echo",
      version: "1.2.3",
      component_type: "action",
      app: "openai",
      description: "Answers what it was registered with",
      stash: "optional",
      configurable_props: [
        { name: "openai", type: "app", app: "openai" },
        { name: "prompt", type: "string", label: "Prompt" },
        { name: "model", type: "string", label: "Model", remoteOptions: true, optional: true },
      ],
      configure_options: { model: [{ label: "GPT Test", value: "gpt-test" }, { label: "GPT Other", value: "gpt-other" }] },
      run: echoRun,
    },
    201,
  );
  assert(prefixed(echo.id, "sc_") && echo.key === echoKey, `registered ${j(echo)}`);
  registered.actions.push(echoKey);
  for (const i of [2, 3]) {
    const key = `pdemu_sdk_${suffix}-action-${i}`;
    await controlPlane("POST", "/_emulator/components", { key, name: `SDK Action ${i}`, version: "0.0.1", component_type: "action", configurable_props: [{ name: "text", type: "string" }] }, 201);
    registered.actions.push(key);
  }
  for (const i of [1, 2]) {
    const key = `pdemu_sdk_${suffix}-trigger-${i}`;
    await controlPlane("POST", "/_emulator/components", { key, name: `SDK Trigger ${i}`, version: "0.1.0", component_type: "trigger", configurable_props: [{ name: "timer", type: "$.interface.timer", default: { intervalSeconds: 60 } }] }, 201);
    registered.triggers.push(key);
  }
  return [...registered.actions, ...registered.triggers].join(" ");
});

await step("components.list (pager, limit 5)", async () => {
  const { items, sizes } = await walk(oa.components.list({ limit: 5 }), 5, "components");
  const keys = items.map((c) => c.key);
  noDuplicates(keys, "components");
  includesAll(keys, ["slack-send-message", "github-new-issue", ...registered.actions, ...registered.triggers], "components");
  items.forEach((c, i) => conforms("Component", c, `components[${i}] ${c.key}`));
  const triggersOnly = [];
  for await (const c of await oa.components.list({ componentType: "trigger", limit: 100 })) triggersOnly.push(c);
  assert(triggersOnly.length > 0 && triggersOnly.every((c) => c.componentType === "trigger"), `component_type filter: ${j(triggersOnly.map((c) => c.componentType))}`);
  const priv = [];
  for await (const c of await oa.components.list({ registry: "private", q: suffix })) priv.push(c.key);
  assertEq(priv.sort(), [...registered.actions, ...registered.triggers].sort(), "private registry");
  return `${keys.length} components in pages of ${sizes.join("+")}`;
});

await step("actions.list (pager, limit 4)", async () => {
  const { items, sizes } = await walk(oa.actions.list({ limit: 4 }), 4, "actions");
  const keys = items.map((c) => c.key);
  noDuplicates(keys, "actions");
  includesAll(keys, ["slack-send-message", ...registered.actions], "actions");
  assert(items.every((c) => c.componentType === "action"), `non-actions: ${j(items.filter((c) => c.componentType !== "action").map((c) => c.key))}`);
  const gh = [];
  for await (const c of await oa.actions.list({ app: "github" })) gh.push(c.key);
  assert(gh.length > 0 && gh.every((k) => k.startsWith("github-")), `app filter: ${j(gh)}`);
  // The SDK checks the registry enum itself; queryParams get past it.
  const err = await expectError(() => oa.actions.list({}, { queryParams: { registry: "bogus" } }), 400, "bad registry");
  assert(err instanceof BadRequestError, `bad registry threw ${err.constructor.name}`);
  return `${keys.length} actions in pages of ${sizes.join("+")}`;
});

await step("triggers.list (pager, limit 4)", async () => {
  const { items, sizes } = await walk(oa.triggers.list({ limit: 4 }), 4, "triggers");
  const keys = items.map((c) => c.key);
  noDuplicates(keys, "triggers");
  includesAll(keys, ["github-new-issue", "schedule-custom-interval", ...registered.triggers], "triggers");
  assert(items.every((c) => c.componentType === "trigger"), "non-trigger listed");
  return `${keys.length} triggers in pages of ${sizes.join("+")}`;
});

await step("components.retrieve", async () => {
  const got = await oa.components.retrieve("slack-send-message");
  conforms("GetComponentResponse", got, "component");
  const c = got.data;
  assertEq([c.key, c.version, c.componentType], ["slack-send-message", "0.1.3", "action"], "component");
  const names = c.configurableProps.map((p) => p.name);
  includesAll(names, ["slack", "channel", "text"], "props");
  const app = c.configurableProps.find((p) => p.name === "slack");
  assertEq([app.type, app.app], ["app", "slack"], "app prop");
  const channel = c.configurableProps.find((p) => p.name === "channel");
  assert(channel.remoteOptions === true, `channel prop ${j(channel)}`);
  const trig = await oa.components.retrieve(registered.triggers[0]);
  assertEq([trig.data.key, trig.data.componentType], [registered.triggers[0], "trigger"], "trigger via components");
  await expectError(() => oa.components.retrieve("no-such-component"), 404, "unknown component");
});

await step("actions.retrieve (registered component, version)", async () => {
  const got = await oa.actions.retrieve(echoKey, { version: "1.2.3" });
  conforms("GetComponentResponse", got, "action");
  const c = got.data;
  assertEq([c.key, c.name, c.version, c.componentType, c.stash, c.description], [echoKey, "SDK Echo", "1.2.3", "action", "optional", "Answers what it was registered with"], "action");
  assertEq(c.configurableProps.map((p) => p.name), ["openai", "prompt", "model"], "props");
  await expectError(() => oa.actions.retrieve(echoKey, { version: "9.9.9" }), 404, "unknown version");
  await expectError(() => oa.actions.retrieve("github-new-issue"), 404, "a trigger through actions.retrieve");
});

await step("triggers.retrieve", async () => {
  const got = await oa.triggers.retrieve("schedule-custom-interval");
  conforms("GetComponentResponse", got, "trigger");
  assertEq([got.data.key, got.data.componentType], ["schedule-custom-interval", "trigger"], "trigger");
  const timer = got.data.configurableProps.find((p) => p.name === "timer");
  assert(timer?.type === "$.interface.timer", `timer prop ${j(timer)}`);
  await expectError(() => oa.triggers.retrieve("slack-send-message"), 404, "an action through triggers.retrieve");
});

await step("actions.configureProp (remote options)", async () => {
  const got = await oa.actions.configureProp({
    id: "slack-send-message",
    externalUserId: user,
    propName: "channel",
    configuredProps: { slack: { authProvisionId: cpAccounts.slack.id } },
  });
  conforms("ConfigurePropResponse", got, "configure");
  const labels = (got.options ?? []).map((o) => o.label);
  includesAll(labels, ["#general", "#random"], "channel options");
  assert(got.options.find((o) => o.label === "#general").value === "C01GENERAL0", `options ${j(got.options)}`);
  const q = await oa.actions.configureProp({ id: echoKey, externalUserId: user, propName: "model", query: "other" });
  assertEq(q.options, [{ label: "GPT Other", value: "gpt-other" }], "query filter");
  await expectError(
    () => oa.actions.configureProp({ id: "slack-send-message", externalUserId: user, propName: "channel", configuredProps: { slack: { authProvisionId: openaiAcc.id } } }),
    400,
    "an openai account for a slack prop",
  );
  return labels.join(" ");
});

await step("components.configureProp (string options)", async () => {
  const got = await oa.components.configureProp({ id: "github-create-issue", externalUserId: user, propName: "repoFullname" });
  conforms("ConfigurePropResponse", got, "configure");
  includesAll(got.stringOptions ?? [], ["octocat/hello-world", "pdemu/example"], "stringOptions");
  return (got.stringOptions ?? []).join(" ");
});

await step("triggers.configureProp (query)", async () => {
  const got = await oa.triggers.configureProp({ id: "github-new-issue", externalUserId: user, propName: "repoFullname", query: "spoon" });
  conforms("ConfigurePropResponse", got, "configure");
  assertEq(got.stringOptions, ["octocat/spoon-knife"], "filtered stringOptions");
});

let sheetsDyp;
await step("actions.reloadProps (dynamic props)", async () => {
  const got = await oa.actions.reloadProps({
    id: "google_sheets-add-single-row",
    externalUserId: user,
    configuredProps: { googleSheets: { authProvisionId: cpAccounts.sheets.id }, sheetId: "1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms", worksheetId: 0 },
  });
  conforms("ReloadPropsResponse", got, "reload");
  sheetsDyp = got.dynamicProps?.id;
  assert(prefixed(sheetsDyp, "dyp_"), `dynamicProps ${j(got.dynamicProps)}`);
  includesAll(got.dynamicProps.configurableProps.map((p) => p.name), ["googleSheets", "sheetId", "worksheetId", "A", "B", "C"], "reloaded props");
  return sheetsDyp;
});

await step("components.reloadProps", async () => {
  const got = await oa.components.reloadProps({ id: "google_sheets-add-single-row", externalUserId: user, configuredProps: { sheetId: "x" } });
  conforms("ReloadPropsResponse", got, "reload");
  const names = got.dynamicProps?.configurableProps?.map((p) => p.name) ?? [];
  assert(prefixed(got.dynamicProps?.id, "dyp_") && got.dynamicProps.id !== sheetsDyp, `dynamicProps ${j(got.dynamicProps)}`);
  assert(!names.includes("A"), `dynamic props added before worksheetId was set: ${names}`);
});

await step("triggers.reloadProps", async () => {
  const got = await oa.triggers.reloadProps({ id: "schedule-custom-interval", externalUserId: user });
  conforms("ReloadPropsResponse", got, "reload");
  assert(prefixed(got.dynamicProps?.id, "dyp_"), `dynamicProps ${j(got.dynamicProps)}`);
  assertEq(got.dynamicProps.configurableProps.map((p) => p.name), ["timer"], "props");
});

await step("actions.run (Connect token, registered result, new stash)", async () => {
  const got = await ct.actions.run({
    id: echoKey,
    externalUserId: user,
    configuredProps: { openai: { authProvisionId: openaiAcc.id }, prompt: "hi" },
    stashId: "NEW",
  });
  metered.actionRuns++;
  conforms("RunActionResponse", got, "run");
  assertEq(got.exports, echoRun.exports, "exports");
  assertEq(got.ret, echoRun.ret, "ret");
  assert(got.os?.length === 1 && got.os[0].msg === echoRun.os[0].msg && got.os[0].k === "console.log", `os ${j(got.os)}`);
  assert(got.os[0].ts === nowMs, `os[0].ts ${got.os[0].ts}, want the emulator's clock ${nowMs}`);
  assert(/^[0-9a-f]{32}$/.test(got.stashId ?? ""), `stashId ${j(got.stashId)}`);
  await expectError(
    () => ct.actions.run({ id: echoKey, externalUserId: user, configuredProps: { openai: { authProvisionId: openaiAcc.id } } }),
    400,
    "a required prop missing",
  );
  await expectError(
    () => ct.actions.run({ id: echoKey, externalUserId: pagerUsers[0], configuredProps: { openai: { authProvisionId: openaiAcc.id }, prompt: "x" } }),
    400,
    "another external user with a Connect token",
  );
  return `stash ${got.stashId}`;
});

await step("actions.run (OAuth, default echo, dynamic props)", async () => {
  const got = await oa.actions.run({
    id: "google_sheets-add-single-row",
    externalUserId: user,
    dynamicPropsId: sheetsDyp,
    configuredProps: { googleSheets: { authProvisionId: cpAccounts.sheets.id }, sheetId: "1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms", worksheetId: 0, A: "Ada" },
  });
  metered.actionRuns++;
  conforms("RunActionResponse", got, "run");
  assertEq(
    [got.ret?.component, got.ret?.version, got.ret?.external_user_id, got.ret?.configured_props?.A],
    ["google_sheets-add-single-row", "2.1.0", user, "Ada"],
    "echoed ret",
  );
  assert(typeof got.exports?.$summary === "string", `exports ${j(got.exports)}`);
  assert(got.stashId === undefined, `stashId ${j(got.stashId)} without asking for one`);
});

// ------------------------------------------------------------- deployed triggers

let ghTrigger; // deployed with OAuth, with a workflow and a webhook
let ctTrigger; // deployed with the Connect token
const scheduleTriggers = [];
await step("triggers.deploy (Connect token)", async () => {
  const got = await ct.triggers.deploy({ id: "schedule-custom-interval", externalUserId: user, webhookUrl: "https://example.com/ct-hook" });
  conforms("DeployTriggerResponse", got, "deploy");
  ctTrigger = got.data;
  assert(prefixed(ctTrigger.id, "dc_") && prefixed(ctTrigger.ownerId, "exu_"), `deployed ${j(ctTrigger)}`);
  assertEq([ctTrigger.type, ctTrigger.componentKey, ctTrigger.active, ctTrigger.name, ctTrigger.emitOnDeploy], ["DeployedComponent", "schedule-custom-interval", true, "Custom Interval", true], "deployed");
  assert(prefixed(ctTrigger.componentId, "sc_"), `componentId ${ctTrigger.componentId}`);
  assert(ctTrigger.createdAt === nowMs && ctTrigger.updatedAt === nowMs, `times ${ctTrigger.createdAt}/${ctTrigger.updatedAt}, want epoch ms ${nowMs}`);
  assert(ctTrigger.webhookSigningKey === undefined, "webhook signing key shown to a Connect token");
  scheduleTriggers.push(ctTrigger.id);
  return ctTrigger.id;
});

await step("triggers.deploy (OAuth, app prop, workflow, webhook)", async () => {
  const got = await oa.triggers.deploy({
    id: "github-new-issue",
    externalUserId: user,
    configuredProps: { github: { authProvisionId: cpAccounts.github.id }, repoFullname: "pdemu/example" },
    workflowId: "p_abc123",
    webhookUrl: "https://example.com/gh-hook",
    emitOnDeploy: false,
  });
  conforms("DeployTriggerResponse", got, "deploy");
  ghTrigger = got.data;
  assertEq([ghTrigger.componentKey, ghTrigger.emitOnDeploy, ghTrigger.configuredProps?.repoFullname], ["github-new-issue", false, "pdemu/example"], "deployed");
  assertEq(ghTrigger.configuredProps?.github, { authProvisionId: cpAccounts.github.id }, "app prop");
  assert(typeof ghTrigger.webhookSigningKey === "string" && ghTrigger.webhookSigningKey.length >= 16, `webhookSigningKey ${j(ghTrigger.webhookSigningKey)}`);
  for (let i = 0; i < 6; i++) {
    const t = await oa.triggers.deploy({ id: "schedule-custom-interval", externalUserId: user, configuredProps: { timer: { intervalSeconds: 60 * (i + 1) } } });
    scheduleTriggers.push(t.data.id);
  }
  await expectError(
    () => oa.triggers.deploy({ id: "github-new-issue", externalUserId: user, configuredProps: { github: { authProvisionId: cpAccounts.github.id } } }),
    400,
    "deploy without a required prop",
  );
  return `${ghTrigger.id} + 6 more`;
});

await step("deployedTriggers.list (OAuth and Connect token, pager limit 3)", async () => {
  const want = [ghTrigger.id, ...scheduleTriggers].sort();
  const oaWalk = await walk(oa.deployedTriggers.list({ externalUserId: user, limit: 3 }), 3, "deployed triggers");
  const ids = oaWalk.items.map((t) => t.id);
  noDuplicates(ids, "deployed triggers");
  assertEq([...ids].sort(), want, "deployed triggers");
  oaWalk.items.forEach((t, i) => conforms("Emitter", t, `deployed[${i}]`));
  assert(oaWalk.items.every((t) => t.type === "DeployedComponent" && t.webhookSigningKey === undefined), "listed item with another type or a signing key");
  const ctWalk = await walk(ct.deployedTriggers.list({ externalUserId: user, limit: 3 }), 3, "deployed triggers (connect)");
  assertEq(ctWalk.items.map((t) => t.id), ids, "same list with the Connect token");
  const other = await oa.deployedTriggers.list({ externalUserId: pagerUsers[0] });
  assertEq(other.data, [], "another user's deployed triggers");
  return `${ids.length} in pages of ${oaWalk.sizes.join("+")}`;
});

await step("deployedTriggers.retrieve (Connect token; OAuth)", async () => {
  const got = await ct.deployedTriggers.retrieve(ghTrigger.id, { externalUserId: user });
  conforms("GetTriggerResponse", got, "trigger");
  const { webhookSigningKey: _k, ...want } = ghTrigger;
  assertEq({ ...got.data, webhookSigningKey: undefined }, { ...want, webhookSigningKey: undefined }, "retrieved trigger");
  const viaOA = await oa.deployedTriggers.retrieve(ctTrigger.id, { externalUserId: user });
  assertEq(viaOA.data.id, ctTrigger.id, "via OAuth");
  await expectError(() => oa.deployedTriggers.retrieve(ghTrigger.id, { externalUserId: pagerUsers[0] }), 404, "as another external user");
});

await step("deployedTriggers.update (OAuth; Connect token)", async () => {
  const got = await oa.deployedTriggers.update(ghTrigger.id, { externalUserId: user, active: false, name: `Issues ${suffix}` });
  conforms("GetTriggerResponse", got, "trigger");
  assertEq([got.data.id, got.data.active, got.data.name], [ghTrigger.id, false, `Issues ${suffix}`], "updated");
  const again = await oa.deployedTriggers.retrieve(ghTrigger.id, { externalUserId: user });
  assertEq([again.data.active, again.data.name], [false, `Issues ${suffix}`], "retrieved after update");
  await controlPlane("POST", `/_emulator/deployed-triggers/${ghTrigger.id}/events`, { event: { x: 1 } }, 409);
  const back = await ct.deployedTriggers.update(ghTrigger.id, { externalUserId: user, active: true, configuredProps: { github: { authProvisionId: cpAccounts.github.id }, repoFullname: "octocat/hello-world" } });
  assertEq([back.data.active, back.data.configuredProps?.repoFullname], [true, "octocat/hello-world"], "reactivated via Connect token");
  return "inactive trigger refuses events (409)";
});

await step("deployedTriggers.listEvents (OAuth; Connect token)", async () => {
  for (let i = 1; i <= 3; i++) {
    const ev = await controlPlane("POST", `/_emulator/deployed-triggers/${ghTrigger.id}/events`, { event: { n: i, marker: suffix }, summary: `event ${i}` }, 201);
    assert(ev.k === "emit" && ev.ts === nowMs, `emitted ${j(ev)}`);
    metered.sourceEmits++;
  }
  const got = await oa.deployedTriggers.listEvents(ghTrigger.id, { externalUserId: user, n: 2 });
  conforms("GetTriggerEventsResponse", got, "events");
  assertEq(got.data.map((e) => e.e), [{ n: 3, marker: suffix }, { n: 2, marker: suffix }], "newest two events");
  assertEq(got.data.map((e) => [e.k, e.ts, e.sum]), [["emit", nowMs, "event 3"], ["emit", nowMs, "event 2"]], "k, ts, sum");
  assert(got.data.every((e) => typeof e.id === "string" && e.id.length > 0), "event without id");
  const all = await ct.deployedTriggers.listEvents(ghTrigger.id, { externalUserId: user });
  assertEq(all.data.map((e) => e.e.n), [3, 2, 1], "all events via Connect token");
  return `${all.data.length} events`;
});

await step("deployedTriggers.listWorkflows / updateWorkflows", async () => {
  const got = await oa.deployedTriggers.listWorkflows(ghTrigger.id, { externalUserId: user });
  conforms("GetTriggerWorkflowsResponse", got, "workflows");
  assertEq(got.workflowIds, ["p_abc123"], "workflow ids from deploy");
  const upd = await ct.deployedTriggers.updateWorkflows(ghTrigger.id, { externalUserId: user, workflowIds: ["p_one1", "p_two2"] });
  assertEq(upd.workflowIds, ["p_one1", "p_two2"], "updated");
  const again = await ct.deployedTriggers.listWorkflows(ghTrigger.id, { externalUserId: user });
  assertEq(again.workflowIds, ["p_one1", "p_two2"], "listed after update");
  const cleared = await oa.deployedTriggers.updateWorkflows(ghTrigger.id, { externalUserId: user, workflowIds: [] });
  assertEq(cleared.workflowIds, [], "cleared");
  await expectError(() => oa.deployedTriggers.updateWorkflows(ghTrigger.id, { externalUserId: user, workflowIds: ["not-a-workflow"] }), 400, "bad workflow id");
});

let ghWebhook;
await step("deployedTriggers.listWebhooks / updateWebhooks", async () => {
  const got = await oa.deployedTriggers.listWebhooks(ghTrigger.id, { externalUserId: user });
  conforms("GetTriggerWebhooksResponse", got, "webhooks");
  assertEq(got.webhookUrls, ["https://example.com/gh-hook"], "webhook urls from deploy");
  ghWebhook = got.webhooks?.[0];
  assert(ghWebhook && ghWebhook.url === "https://example.com/gh-hook" && ghWebhook.signingKeySet === true, `webhooks ${j(got.webhooks)}`);
  assert(ghWebhook.signingKey === ghTrigger.webhookSigningKey, `OAuth listing shows signing key ${j(ghWebhook.signingKey)}, want the one from deploy`);
  const viaCT = await ct.deployedTriggers.listWebhooks(ghTrigger.id, { externalUserId: user });
  assert(viaCT.webhooks?.[0]?.signingKey === undefined && viaCT.webhooks?.[0]?.signingKeySet === true, `Connect-token listing ${j(viaCT.webhooks)}`);
  const upd = await ct.deployedTriggers.updateWebhooks(ctTrigger.id, { externalUserId: user, webhookUrls: ["https://example.com/a", "https://example.com/b"] });
  conforms("GetTriggerWebhooksResponse", upd, "webhooks");
  assertEq(upd.webhookUrls, ["https://example.com/a", "https://example.com/b"], "updated urls");
  assert(upd.webhooks?.length === 2 && upd.webhooks.every((w) => w.signingKey === undefined && w.signingKeySet), `Connect-token update ${j(upd.webhooks)}`);
  const viaOA = await oa.deployedTriggers.updateWebhooks(ctTrigger.id, { externalUserId: user, webhookUrls: ["https://example.com/a"] });
  assertEq(viaOA.webhookUrls, ["https://example.com/a"], "urls after OAuth update");
  assert(viaOA.webhooks?.[0]?.signingKey, `OAuth update shows no signing key: ${j(viaOA.webhooks)}`);
  return ghWebhook.id;
});

await step("deployedTriggers.retrieveWebhook (OAuth)", async () => {
  const got = await oa.deployedTriggers.retrieveWebhook(ghTrigger.id, ghWebhook.id, { externalUserId: user });
  conforms("GetWebhookWithSigningKeyResponse", got, "webhook");
  assertEq([got.data.id, got.data.url, got.data.signingKey, got.data.signingKeySet], [ghWebhook.id, ghWebhook.url, ghTrigger.webhookSigningKey, true], "webhook");
  assert(got.data.createdAt === nowSec, `createdAt ${got.data.createdAt}, want epoch seconds ${nowSec}`);
});

await step("deployedTriggers.regenerateWebhookSigningKey (OAuth)", async () => {
  const got = await oa.deployedTriggers.regenerateWebhookSigningKey(ghTrigger.id, ghWebhook.id, { externalUserId: user });
  conforms("GetWebhookWithSigningKeyResponse", got, "webhook");
  assert(got.data.id === ghWebhook.id && got.data.signingKey && got.data.signingKey !== ghTrigger.webhookSigningKey, `regenerated ${j(got.data)}`);
  const again = await oa.deployedTriggers.retrieveWebhook(ghTrigger.id, ghWebhook.id, { externalUserId: user });
  assert(again.data.signingKey === got.data.signingKey, "retrieveWebhook does not show the new key");
});

await step("deployedTriggers.delete (Connect token; OAuth)", async () => {
  const res = await ct.deployedTriggers.delete(scheduleTriggers[1], { externalUserId: user }).withRawResponse();
  assert(res.rawResponse.status === 204, `status ${res.rawResponse.status}`);
  await expectError(() => oa.deployedTriggers.retrieve(scheduleTriggers[1], { externalUserId: user }), 404, "retrieve after delete");
  const res2 = await oa.deployedTriggers.delete(scheduleTriggers[2], { externalUserId: user, ignoreHookErrors: true }).withRawResponse();
  assert(res2.rawResponse.status === 204, `status ${res2.rawResponse.status}`);
  const left = [];
  for await (const t of await oa.deployedTriggers.list({ externalUserId: user })) left.push(t.id);
  assertEq(left.sort(), [ghTrigger.id, ...scheduleTriggers.filter((_, i) => i !== 1 && i !== 2)].sort(), "left after deletes");
});

// ------------------------------------------------------------- proxy

function checkEcho(echo, want, what) {
  assert(echo && typeof echo === "object", `${what}: upstream answer ${j(echo)} is not the echo's JSON`);
  for (const [k, v] of Object.entries(want)) assertEq(echo[k], v, `${what}: upstream ${k}`);
  // Pipedream's own headers and credential never reach the upstream.
  for (const h of ["x-pd-environment", "x-fern-sdk-name"]) {
    assert(echo.headers?.[h] === undefined, `${what}: upstream received ${h}: ${echo.headers?.[h]}`);
  }
}

await step("proxy.get (OAuth, GitHub OAuth account)", async () => {
  const res = await oa.proxy
    .get({
      url: `${upstream}/repos/pdemu?x=1`,
      externalUserId: user,
      accountId: cpAccounts.github.id,
      params: { page: "2" },
      headers: { "X-Custom-Header": "hello" },
    })
    .withRawResponse();
  metered.proxyCalls++;
  checkEcho(res.data, { method: "GET", path: "/repos/pdemu", query: { x: "1", page: "2" } }, "get");
  assertEq(res.data.headers.authorization, `Bearer gho_${suffix}`, "injected Authorization");
  assertEq(res.data.headers["x-custom-header"], "hello", "forwarded x-pd-proxy- header");
  assert(res.data.headers["x-pd-proxy-x-custom-header"] === undefined, "x-pd-proxy- prefix not stripped");
  assertEq(res.rawResponse.headers.get("x-upstream"), "pdemu-echo", "upstream response header");
  const wire = lastSent(/\/proxy\//);
  assert(wire.path.startsWith(`/v1/connect/${projectId}/proxy/`) && wire.credential === "oauth", `request sent: ${j(wire)}`);
  return `Authorization: ${res.data.headers.authorization}`;
});

await step("proxy.get (binary answer with Accept: application/octet-stream)", async () => {
  const got = await oa.proxy.get({ url: `${upstream}/bytes`, externalUserId: user, accountId: cpAccounts.github.id, headers: { Accept: "application/octet-stream" } });
  metered.proxyCalls++;
  assert(typeof got?.arrayBuffer === "function", `not a BinaryResponse: ${j(got)}`);
  assertEq([...new Uint8Array(await got.arrayBuffer())], [0, 1, 2, 253, 254, 255], "bytes");
});

await step("proxy.post (Connect token, keys account: /v1/connect//proxy/)", async () => {
  const got = await ct.proxy.post({
    url: `${upstream}/v1/chat`,
    externalUserId: user,
    accountId: openaiAcc.id,
    body: { prompt: "hello", n: 2, nested: { ok: true } },
  });
  metered.proxyCalls++;
  checkEcho(got, { method: "POST", path: "/v1/chat", body: { prompt: "hello", n: 2, nested: { ok: true } } }, "post");
  assertEq(got.headers.authorization, `Bearer sk-${suffix}`, "injected Authorization");
  assert(/^application\/json/.test(got.headers["content-type"] ?? ""), `content-type ${got.headers["content-type"]}`);
  // The proxy skips the SDK's path normaliser: an empty project id stays.
  const wire = lastSent(/\/proxy\//);
  assert(wire.path.startsWith("/v1/connect//proxy/") && wire.credential === "connect", `request sent: ${j(wire)}`);
  return `${wire.method} ${wire.path.slice(0, 30)}…`;
});

await step("proxy.put (OAuth; Connect token)", async () => {
  const got = await oa.proxy.put({ url: `${upstream}/items/1`, externalUserId: user, accountId: cpAccounts.slack.id, body: { name: "one" }, params: { v: "3" } });
  metered.proxyCalls++;
  checkEcho(got, { method: "PUT", path: "/items/1", query: { v: "3" }, body: { name: "one" } }, "put");
  assertEq(got.headers.authorization, `Bearer xoxp-${suffix}`, "injected Authorization");
  const viaCT = await ct.proxy.put({ url: `${upstream}/items/2`, externalUserId: user, accountId: openaiAcc.id, body: { list: [1, "two"] } });
  metered.proxyCalls++;
  checkEcho(viaCT, { method: "PUT", path: "/items/2", body: { list: [1, "two"] } }, "put via Connect token");
  assertEq(viaCT.headers.authorization, `Bearer sk-${suffix}`, "injected Authorization");
});

await step("proxy.patch (Connect token)", async () => {
  const got = await ct.proxy.patch({ url: `${upstream}/items/1`, externalUserId: user, accountId: cpAccounts.github.id, body: { done: true } });
  metered.proxyCalls++;
  checkEcho(got, { method: "PATCH", path: "/items/1", body: { done: true } }, "patch");
  assertEq(got.headers.authorization, `Bearer gho_${suffix}`, "injected Authorization");
});

await step("proxy.delete (Connect token; another user's account refused)", async () => {
  const got = await ct.proxy.delete({ url: `${upstream}/items/1`, externalUserId: user, accountId: openaiAcc.id });
  metered.proxyCalls++;
  checkEcho(got, { method: "DELETE", path: "/items/1" }, "delete");
  assertEq(got.headers.authorization, `Bearer sk-${suffix}`, "injected Authorization");
  await expectError(() => ct.proxy.get({ url: `${upstream}/x`, externalUserId: user, accountId: cpAccounts.pager[0].id }), 404, "another user's account");
  await expectError(() => oa.proxy.get({ url: "https://blocked.example.com/x", externalUserId: user, accountId: cpAccounts.github.id }), 403, "a host not on the allow-list");
});

// ------------------------------------------------------------- file stash

const s3Key = `1day/sdk/${suffix}/all/u/hello.txt`;
const fileBytes = Buffer.concat([Buffer.from(`hello from sdk-all ${suffix}\n`), Buffer.from([0, 255, 128])]);
await step("fileStash.downloadFile (OAuth; Connect token)", async () => {
  await controlPlane(
    "PUT",
    `/_emulator/projects/${projectId}/files`,
    { s3_key: s3Key, content_base64: fileBytes.toString("base64"), environment: projEnv, content_type: "text/plain" },
    201,
  );
  const res = await oa.fileStash.downloadFile({ s3Key }).withRawResponse();
  assert(typeof res.data?.arrayBuffer === "function", `not a BinaryResponse: ${j(res.data)}`);
  assertEq(Buffer.from(await res.data.arrayBuffer()).toString("hex"), fileBytes.toString("hex"), "file bytes");
  // The OpenAPI document's one type for the 200, whatever type the file was put with.
  assertEq(res.rawResponse.headers.get("content-type"), "application/octet-stream", "content-type");
  const viaCT = await ct.fileStash.downloadFile({ s3Key });
  assertEq(Buffer.from(await viaCT.arrayBuffer()).toString("hex"), fileBytes.toString("hex"), "file bytes via Connect token");
  await expectError(() => oa.fileStash.downloadFile({ s3Key: `1day/sdk/${suffix}/none/u/missing.txt` }), 404, "unknown file");
  return `${fileBytes.length} bytes`;
});

// ------------------------------------------------------------- workflows

const wfUrl = `${baseUrl}/_workflows/en123abc`;
async function invocations(marker) {
  const got = await controlPlane("GET", "/_emulator/workflows/en123abc/invocations");
  return got.data.filter((inv) => inv.body?.marker === marker);
}

await step("workflows.invoke (auth none)", async () => {
  const reg = await controlPlane("POST", "/_emulator/workflows", { endpoint_id: "en123abc", status: 202, headers: { "X-Workflow": "pdemu" }, body: { accepted: true } }, 201);
  assert(reg.endpoint_id === "en123abc", `registered ${j(reg)}`);
  const marker = `none-${suffix}`;
  const res = await oa.workflows.invoke({ urlOrEndpoint: wfUrl, body: { marker, n: 1 } });
  // The SDK returns the raw response: status, headers, url (the body is read).
  assert(res.status === 202, `status ${res.status}, want the registered 202`);
  assertEq(res.headers.get("x-workflow"), "pdemu", "registered header");
  assert(res.url === wfUrl, `url ${res.url}`);
  const invs = await invocations(marker);
  assert(invs.length === 1, `${invs.length} invocations with marker ${marker}`);
  assertEq([invs[0].method, invs[0].path, invs[0].auth, invs[0].external_user_id, invs[0].body], ["POST", "/", "none", null, { marker, n: 1 }], "invocation");
  return `status ${res.status}`;
});

await step("workflows.invoke (OAuth, PUT)", async () => {
  const marker = `oauth-${suffix}`;
  const res = await oa.workflows.invoke({ urlOrEndpoint: wfUrl, method: "put", body: { marker } }, Pipedream.HTTPAuthType.OAuth);
  assert(res.status === 202, `status ${res.status}`);
  const invs = await invocations(marker);
  assert(invs.length === 1, `${invs.length} invocations`);
  assertEq([invs[0].method, invs[0].auth], ["PUT", "oauth"], "invocation");
  assert(prefixed(invs[0].workspace_id, "o_"), `workspace_id ${invs[0].workspace_id}`);
  assert(invs[0].headers?.authorization === undefined, "invocation recorded the Authorization header");
});

await step("workflows.invokeForExternalUser", async () => {
  const marker = `ext-${suffix}`;
  const res = await oa.workflows.invokeForExternalUser({ urlOrEndpoint: `${wfUrl}/sub/path`, externalUserId: wfUser, body: { marker } });
  assert(res.status === 202, `status ${res.status}`);
  const invs = await invocations(marker);
  assert(invs.length === 1, `${invs.length} invocations`);
  assertEq([invs[0].method, invs[0].path, invs[0].auth, invs[0].external_user_id], ["POST", "/sub/path", "oauth", wfUser], "invocation");
  assertEq(invs[0].headers?.["x-pd-external-user-id"], wfUser, "X-PD-External-User-ID header");
});

// ------------------------------------------------------------- project environment webhook

let hook;
await step("projectEnvironment.retrieveWebhook (none yet)", async () => {
  const got = await oa.projectEnvironment.retrieveWebhook();
  conforms("GetWebhookResponse", got, "webhook");
  assert(got.data === undefined, `webhook before any was set: ${j(got)}`);
});

await step("projectEnvironment.updateWebhook (create, then change URL)", async () => {
  const first = await oa.projectEnvironment.updateWebhook({ url: "https://example.com/project-hook" });
  conforms("SetWebhookResponse", first, "webhook");
  hook = first.data;
  assert(hook.id && hook.url === "https://example.com/project-hook" && hook.signingKeySet === true, `created ${j(hook)}`);
  assert(typeof hook.signingKey === "string" && hook.signingKey.length >= 16, "creating a webhook shows no signing key");
  assert(hook.createdAt === nowSec, `createdAt ${hook.createdAt}, want epoch seconds ${nowSec}`);
  const second = await oa.projectEnvironment.updateWebhook({ url: "https://example.com/project-hook-2" });
  assertEq([second.data.id, second.data.url, second.data.signingKey], [hook.id, "https://example.com/project-hook-2", undefined], "updated");
  const got = await oa.projectEnvironment.retrieveWebhook();
  assertEq([got.data?.id, got.data?.url, got.data?.signingKeySet, got.data?.signingKey], [hook.id, "https://example.com/project-hook-2", true, undefined], "retrieved");
});

await step("projectEnvironment.regenerateWebhookSigningKey", async () => {
  const got = await oa.projectEnvironment.regenerateWebhookSigningKey();
  conforms("GetWebhookWithSigningKeyResponse", got, "webhook");
  assert(got.data.id === hook.id && got.data.signingKey && got.data.signingKey !== hook.signingKey, `regenerated ${j(got.data)}`);
});

await step("projectEnvironment.deleteWebhook", async () => {
  const res = await oa.projectEnvironment.deleteWebhook().withRawResponse();
  assert(res.rawResponse.status === 204, `status ${res.rawResponse.status}`);
  const got = await oa.projectEnvironment.retrieveWebhook();
  assert(got.data === undefined, `webhook after delete: ${j(got)}`);
  await expectError(() => oa.projectEnvironment.deleteWebhook(), 404, "delete again");
  await expectError(() => oa.projectEnvironment.regenerateWebhookSigningKey(), 404, "regenerate without a webhook");
});

// ------------------------------------------------------------- OAuth apps and app overrides

const oauthApps = [];
await step("oauthApps.create", async () => {
  for (let i = 1; i <= 3; i++) {
    const got = await oa.oauthApps.create({
      app: "slack",
      clientId: `cid-${suffix}-${i}`,
      clientSecret: `secret-${suffix}-${i}`,
      name: `SDK Slack ${i}`,
      description: "made by sdk-all",
      scopes: ["chat:write"],
      additionalScopes: ["users:read"],
    });
    conforms("OauthApp", got, "oauth app");
    assert(prefixed(got.id, "oa_"), `id ${got.id}`);
    assertEq([got.clientId, got.name, got.nameSlug, got.ownerId, got.scopes, got.additionalScopes], [`cid-${suffix}-${i}`, `SDK Slack ${i}`, "slack", projectId, ["chat:write"], ["users:read"]], "oauth app");
    assert(isDate(got.createdAt), `createdAt ${j(got.createdAt)}`);
    assert(!j(got).includes(`secret-${suffix}`), "the client secret came back");
    oauthApps.push(got);
  }
  const err = await expectError(() => oa.oauthApps.create({ app: "openai", clientId: "x", clientSecret: "y" }), 400, "an OAuth client for a keys app");
  assert(err instanceof BadRequestError, `threw ${err.constructor.name}`);
  return oauthApps.map((o) => o.id).join(" ");
});

await step("oauthApps.list (pager, limit 2)", async () => {
  const { items, sizes } = await walk(oa.oauthApps.list({ limit: 2, app: "slack" }), 2, "oauth apps");
  const ids = items.map((o) => o.id);
  noDuplicates(ids, "oauth apps");
  includesAll(ids, oauthApps.map((o) => o.id), "oauth apps");
  items.forEach((o, i) => conforms("OauthApp", o, `oauthApps[${i}]`));
  return `${ids.length} in pages of ${sizes.join("+")}`;
});

await step("oauthApps.retrieve / update", async () => {
  const got = await oa.oauthApps.retrieve(oauthApps[0].id);
  assertEq(got, oauthApps[0], "retrieved");
  const upd = await oa.oauthApps.update(oauthApps[0].id, { name: `Renamed ${suffix}`, clientSecret: "rotated" });
  conforms("OauthApp", upd, "oauth app");
  assertEq([upd.id, upd.name, upd.clientId, upd.scopes], [oauthApps[0].id, `Renamed ${suffix}`, oauthApps[0].clientId, ["chat:write"]], "updated");
  const again = await oa.oauthApps.retrieve(oauthApps[0].id);
  assert(again.name === `Renamed ${suffix}`, `retrieved after update: ${again.name}`);
  await expectError(() => oa.oauthApps.retrieve("oa_nope"), 404, "unknown oauth app");
});

const overrides = [];
await step("appOverrides.create", async () => {
  const a = await oa.appOverrides.create({ app: "openai", name: `override-${suffix}-a`, cfmap: { organization: `org-${suffix}` } });
  conforms("AppOverride", a, "override");
  assert(a.id, `id ${a.id}`);
  assertEq([a.name, a.app?.nameSlug, a.cfmap, a.ownerId, a.oauthAppId], [`override-${suffix}-a`, "openai", { organization: `org-${suffix}` }, projectId, undefined], "override");
  assert(isDate(a.createdAt), `createdAt ${j(a.createdAt)}`);
  const b = await oa.appOverrides.create({ app: "slack", name: `override-${suffix}-b`, oauthAppId: oauthApps[1].id });
  assertEq([b.app?.nameSlug, b.oauthAppId], ["slack", oauthApps[1].id], "override with an OAuth app");
  const c = await oa.appOverrides.create({ app: "github", name: `override-${suffix}-c` });
  overrides.push(a, b, c);
  return overrides.map((o) => o.id).join(" ");
});

await step("appOverrides.list (pager, limit 2)", async () => {
  const { items, sizes } = await walk(oa.appOverrides.list({ limit: 2 }), 2, "app overrides");
  const ids = items.map((o) => o.id);
  noDuplicates(ids, "app overrides");
  includesAll(ids, overrides.map((o) => o.id), "app overrides");
  items.forEach((o, i) => conforms("AppOverride", o, `appOverrides[${i}]`));
  const slack = await oa.appOverrides.list({ app: "slack" });
  assert(slack.data.every((o) => o.app?.nameSlug === "slack") && slack.data.some((o) => o.id === overrides[1].id), `app filter ${j(slack.data)}`);
  return `${ids.length} in pages of ${sizes.join("+")}`;
});

await step("appOverrides.retrieve / update", async () => {
  const got = await oa.appOverrides.retrieve(overrides[0].id);
  assertEq(got, overrides[0], "retrieved");
  const upd = await oa.appOverrides.update(overrides[0].id, { cfmap: { organization: "org-other" } });
  conforms("AppOverride", upd, "override");
  assertEq([upd.id, upd.name, upd.cfmap], [overrides[0].id, overrides[0].name, { organization: "org-other" }], "updated (cfmap replaced)");
  const renamed = await oa.appOverrides.update(overrides[2].id, { name: `renamed-${suffix}` });
  assertEq([renamed.name, renamed.app?.nameSlug], [`renamed-${suffix}`, "github"], "renamed");
  await expectError(() => oa.appOverrides.retrieve("nope_nope"), 404, "unknown override");
});

await step("tokens.validate with app_override_id (the override names the app)", async () => {
  const { token } = await connectClient(user);
  const byOverride = await oa.tokens.validate(token, { appOverrideId: overrides[0].id });
  conforms("ValidateTokenResponse", byOverride, "validation");
  assertEq(
    [byOverride.success, byOverride.app?.nameSlug, byOverride.appOverrideId, byOverride.appOverrideFieldNames],
    [true, "openai", overrides[0].id, ["organization"]], // its cfmap pre-defines organization
    "validation by override",
  );
  const withClient = await oa.tokens.validate(token, { appOverrideId: overrides[1].id });
  assertEq([withClient.success, withClient.app?.nameSlug, withClient.oauthAppId], [true, "slack", oauthApps[1].id], "override with an OAuth client");
  const byAccount = await oa.tokens.validate(token, { accountId: cpAccounts.github.id });
  assertEq([byAccount.success, byAccount.app?.nameSlug], [true, "github"], "validation by account");
}, { independent: true });

await step("accounts.create with app_override_id (fields merged), then account_id (reconnect)", async () => {
  const c = await connectClient(user);
  const acc = await c.client.accounts.create({
    appSlug: "openai",
    cfmapJson: JSON.stringify({ api_key: `sk-o-${suffix}` }),
    connectToken: c.token,
    appOverrideId: overrides[0].id,
  });
  const got = await oa.accounts.retrieve(acc.id, { includeCredentials: true });
  // The override's organization (as appOverrides.update left it) is merged over cfmap_json.
  assertEq([got.credentials?.api_key, got.credentials?.organization], [`sk-o-${suffix}`, "org-other"], "credentials");
  // Reconnecting (account_id) replaces the credentials of the same account.
  const r = await connectClient(user);
  const again = await r.client.accounts.create({ appSlug: "openai", cfmapJson: JSON.stringify({ api_key: `sk-r-${suffix}` }), connectToken: r.token, accountId: acc.id });
  assert(again.id === acc.id, `reconnect made ${again.id}, want ${acc.id}`);
  const after = await oa.accounts.retrieve(acc.id, { includeCredentials: true });
  assertEq(after.credentials?.api_key, `sk-r-${suffix}`, "api_key after reconnect");
}, { independent: true });

await step("projects.retrieveInfo (OAuth; Connect token)", async () => {
  const got = await oa.projects.retrieveInfo();
  conforms("ProjectInfoResponse", got, "info");
  const slugs = got.apps.map((a) => a.nameSlug);
  noDuplicates(slugs, "info apps");
  includesAll(slugs, ["openai", "github", "slack", "google_sheets"], "apps of the project");
  assert(got.apps.every((a) => a.id === undefined || prefixed(a.id, "app_")), `app ids ${j(got.apps)}`);
  const viaCT = await ct.projects.retrieveInfo();
  assertEq(viaCT, got, "via Connect token");
  return slugs.join(" ");
});

await step("appOverrides.delete / oauthApps.delete", async () => {
  for (const o of overrides) {
    const res = await oa.appOverrides.delete(o.id).withRawResponse();
    assert(res.rawResponse.status >= 200 && res.rawResponse.status < 300, `status ${res.rawResponse.status}`);
    await expectError(() => oa.appOverrides.retrieve(o.id), 404, "override after delete");
  }
  for (const o of oauthApps) {
    const res = await oa.oauthApps.delete(o.id).withRawResponse();
    assert(res.rawResponse.status >= 200 && res.rawResponse.status < 300, `status ${res.rawResponse.status}`);
    await expectError(() => oa.oauthApps.retrieve(o.id), 404, "oauth app after delete");
  }
});

// ------------------------------------------------------------- Connect token refusals

// Each call is independent of the rest: a failure is reported and the
// script goes on.
const refusals = [
  ["users.list", () => ct.users.list()],
  ["projects.list", () => ct.projects.list()],
  ["projects.retrieve", () => ct.projects.retrieve(projectId)],
  ["tokens.create", () => ct.tokens.create({ externalUserId: user })],
  ["usage.list", () => ct.usage.list({ startTs: nowSec - 60, endTs: nowSec })],
  ["projectEnvironment.retrieveWebhook", () => ct.projectEnvironment.retrieveWebhook()],
  ["oauthApps.list", () => ct.oauthApps.list()],
  ["appOverrides.list", () => ct.appOverrides.list()],
  ["deployedTriggers.retrieveWebhook", () => ct.deployedTriggers.retrieveWebhook(ghTrigger.id, ghWebhook.id, { externalUserId: user })],
  [
    "deployedTriggers.regenerateWebhookSigningKey",
    () => ct.deployedTriggers.regenerateWebhookSigningKey(ghTrigger.id, ghWebhook.id, { externalUserId: user }),
  ],
];
for (const [name, fn] of refusals) {
  await step(`${name} refuses a Connect token (401 invalid_token)`, () => expectConnectRefused(fn, `${name} with a Connect token`).then(() => undefined), {
    independent: true,
  });
}

// ------------------------------------------------------------- usage

await step("usage.list (credits the script used)", async () => {
  const after = await usageTotals();
  const delta = {
    actionRuns: after.actionRuns - usageBefore.actionRuns,
    proxyCalls: after.proxyCalls - usageBefore.proxyCalls,
    sourceEmits: after.sourceEmits - usageBefore.sourceEmits,
  };
  assertEq(delta, metered, "credits used since the baseline (one per action run, proxy call and emitted event)");
  assert(after.credits - usageBefore.credits === metered.actionRuns + metered.proxyCalls + metered.sourceEmits, "total credits");
  return j(delta);
});

// ------------------------------------------------------------- coverage

await step("every SDK method was called", async () => {
  const all = sdkMethods(new PipedreamClient());
  const unknown = KNOWN_METHODS.filter((m) => !all.includes(m));
  assert(unknown.length === 0, `the enumeration missed ${unknown.join(", ")}: it is broken`);
  const never = all.filter((m) => !calls.has(m));
  assert(never.length === 0, `never called: ${never.join(", ")}`);
  const notViaConnect = CONNECT_METHODS.filter((m) => !calls.get(m)?.has("connect"));
  assert(notViaConnect.length === 0, `never called with a Connect token: ${notViaConnect.join(", ")}`);
  const extra = all.filter((m) => !KNOWN_METHODS.includes(m));
  return `${all.length} methods${extra.length ? ` (new since 3.1.6: ${extra.join(", ")})` : ""}, ${[...calls.values()].filter((k) => k.has("connect")).length} of them also with a Connect token`;
});

console.log(summary());
process.exit(failed > 0 ? 1 : 0);
