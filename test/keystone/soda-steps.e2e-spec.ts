import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { databaseKinds } from '../helpers/databases.js';
import { ADMIN_PASSWORD, useLintel, type Harness } from '../helpers/lintel.js';
import { redact, skipUnless } from '../helpers/commands.js';
import { curl, CURL, CURL_MISSING, type CurlResponse } from '../helpers/curl.js';

/**
 * Steps 1 and 2 of SODA's "Access Key, Secret Key" guide (docs/soda.md, "SODA's guide"), run with the real curl
 * exactly as the guide writes them. Only the host, the password and the token are replaced.
 */

const DOC_HOST = 'http://192.168.xx.yy';
const DOC_TOKEN = 'gAAAAABg1Ybtbnk2NEbyewe_mOILyo5v0PnaTWGoSyMhq75NaWR_L111111111111111111111_I222222222_M3333333333_ICZUHCIDLtU0pIcKGAvN9zJKXaXBQQIf27a3uq2WM8eQroQ-CMc1-riHbCbrs_iFucc2Z4RCGEzxL6YqTvlzBoarjIsx5';

// Step 1, verbatim: "Create the Token for the "admin" User."
const STEP1_BODY = `{
  "auth": {
    "identity": {
      "methods": [
        "password"
      ],
      "password": {
        "user": {
          "name": "admin",
          "domain": {
            "name": "Default"
          },
          "password": "password"
        }
      }
    }
  }
}`;

// Step 2, verbatim: "Generate the Scoped Tokens".
const STEP2_BODY = `{
    "auth": {
      "identity": {
        "methods": [
          "token"
        ],
        "token": {
          "id": "${DOC_TOKEN}"
        }
      },
      "scope": {
        "project": {
          "name": "admin",
          "domain": {
            "id": "default"
          }
        }
      }
    }
  }`;

const skip = skipUnless(CURL, CURL_MISSING);

function describeFailure(r: CurlResponse): string {
  return redact(JSON.stringify(r.body ?? null)).slice(0, 500);
}

for (const kind of databaseKinds()) {
  describe(`SODA AK/SK guide steps 1-2 with curl (${kind.kind})`, { skip }, () => {
    const ctx = useLintel(kind);
    let h: Harness;

    before(async () => {
      h = ctx.h;
    });

    for (const path of ['/identity/v3/auth/tokens', '/v3/auth/tokens']) {
      describe(`POST ${path}`, () => {
        let unscoped: { id: string; token: any } | undefined;

        it('step 1: password token for admin (unscoped)', async () => {
          const url = h.url + path; // the guide's http://192.168.xx.yy, with this server's host:port
          const body = STEP1_BODY.replace('"password": "password"', `"password": ${JSON.stringify(ADMIN_PASSWORD)}`);
          assert.notEqual(body, STEP1_BODY, 'the guide body has no "password": "password" to replace');
          const r = await curl({ method: 'POST', url, headers: ['Content-Type: application/json'], dataRaw: body });
          assert.equal(r.status, 201, `step 1: status ${r.status}: ${describeFailure(r)}`);
          const id = r.headers.get('x-subject-token');
          assert.ok(id, 'step 1: no X-Subject-Token header');
          const t = r.body?.token;
          assert.ok(t, `step 1: no token in the body: ${describeFailure(r)}`);
          assert.deepEqual(t.methods, ['password'], 'step 1: methods');
          assert.equal(t.user?.name, 'admin', 'step 1: user.name');
          assert.equal(t.user?.id, h.adminUserId, 'step 1: user.id');
          assert.deepEqual(t.user?.domain, { id: 'default', name: 'Default' }, 'step 1: user.domain');
          for (const k of ['project', 'domain', 'system', 'roles', 'catalog', 'is_domain']) assert.equal(k in t, false, `step 1: unscoped token has ${k}`);
          assert.ok(Array.isArray(t.audit_ids) && t.audit_ids.length === 1, 'step 1: one audit id');
          assert.match(t.expires_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000000Z$/, 'step 1: expires_at format');
          unscoped = { id, token: t };
        });

        it('step 2: token rescoped to project admin', async () => {
          assert.ok(unscoped, 'step 1 did not produce a token');
          const url = h.url + path; // the guide's http://192.168.xx.yy, with this server's host:port
          const body = STEP2_BODY.replace(DOC_TOKEN, unscoped.id);
          assert.notEqual(body, STEP2_BODY, 'the guide body has no sample token to replace');
          const r = await curl({ method: 'POST', url, headers: [`X-Auth-Token: ${unscoped.id}`, 'Content-Type: application/json'], dataRaw: body });
          assert.equal(r.status, 201, `step 2: status ${r.status}: ${describeFailure(r)}`);
          const id = r.headers.get('x-subject-token');
          assert.ok(id, 'step 2: no X-Subject-Token header');
          assert.ok(id !== unscoped.id, 'step 2: X-Subject-Token is step 1 token');
          const t = r.body?.token;
          assert.ok(t, `step 2: no token in the body: ${describeFailure(r)}`);
          assert.deepEqual(t.project, { domain: { id: 'default', name: 'Default' }, id: h.adminProjectId, name: 'admin' }, 'step 2: project');
          assert.equal(t.is_domain, false, 'step 2: is_domain');
          const roles = (t.roles ?? []).map((x: { name: string }) => x.name);
          for (const role of ['admin', 'member', 'reader']) assert.ok(roles.includes(role), `step 2: roles ${JSON.stringify(roles)} lack ${role}`);
          assert.deepEqual([...t.methods].sort(), ['password', 'token'], 'step 2: methods');
          assert.equal(t.user?.id, h.adminUserId, 'step 2: user.id');
          assert.ok(Array.isArray(t.catalog) && t.catalog.length > 0, 'step 2: no catalog');
          assert.ok(t.catalog.some((s: { type: string }) => s.type === 'identity'), 'step 2: catalog has no identity service');
          assert.equal(t.expires_at, unscoped.token.expires_at, 'step 2: expires_at differs from step 1 token');
          assert.ok(Array.isArray(t.audit_ids) && t.audit_ids.length === 2, `step 2: audit_ids length ${t.audit_ids?.length}`);
          assert.equal(t.audit_ids[1], unscoped.token.audit_ids[0], 'step 2: audit_ids[1] is not step 1 audit id');
          assert.notEqual(t.audit_ids[0], unscoped.token.audit_ids[0], 'step 2: audit_ids[0] repeats step 1 audit id');
        });
      });
    }
  });
}
