import 'reflect-metadata';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { getMetadataStorage } from 'class-validator';
import { loadConfig } from '@lintel/config';
import { databaseKinds } from '../helpers/databases.js';
import { useLintel } from '../helpers/lintel.js';
import { EnvSchema } from '../../libs/config/src/env.schema.js';
import { type Container, type K8sObject, KUBECTL, kustomize, type PodSpec, parseManifests, podSpecOf } from './objects.js';

/**
 * deploy/: the Kustomize overlays are rendered by `kubectl kustomize` (kubectl ships Kustomize;
 * without kubectl the overlay suites are skipped, and in CI the file fails), every object is
 * validated against the Kubernetes OpenAPI schema (kubernetes-models), and the wiring is checked
 * against the app:
 * entry files in dist/, probe paths and ports, securityContext, mounts, the ConfigMap against
 * the env schema, Secrets holding placeholders only; the Dockerfile and .dockerignore statically.
 */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DEPLOY = join(ROOT, 'deploy');
const OVERLAYS = ['small', 'production'];
const APPS: Record<string, { entry: string; port: number; portVar: string }> = {
  identity: { entry: 'dist/apps/identity/src/main.js', port: 5000, portVar: 'LINTEL_IDENTITY_PORT' },
  multicloud: { entry: 'dist/apps/multicloud/src/main.js', port: 8089, portVar: 'LINTEL_MULTICLOUD_PORT' },
};
const MANAGE = 'dist/apps/manage/src/main.js';

/** The schema validator of one apiVersion/kind, from kubernetes-models (throws when it has none). */
async function validate(o: K8sObject): Promise<void> {
  const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/') : [undefined, o.apiVersion];
  const mod = (await import(`kubernetes-models/${group ? `${group}/` : ''}${version}/${o.kind}`)) as Record<string, new (d: unknown) => { validate(): void }>;
  const Model = mod[o.kind];
  assert.ok(Model, `no schema for ${o.apiVersion} ${o.kind}`);
  try {
    new Model(o).validate();
  } catch (e) {
    throw new Error(`${o.kind}/${o.metadata.name}: ${(e as Error).message}`);
  }
}

const one = (objs: K8sObject[], kind: string, name: string): K8sObject => {
  const hits = objs.filter((o) => o.kind === kind && o.metadata.name === name);
  assert.equal(hits.length, 1, `exactly one ${kind}/${name}`);
  return hits[0]!;
};
const argv = (c: Container): string[] => [...(c.command ?? ['node']), ...(c.args ?? [])];
const subset = (small: Record<string, string> = {}, big: Record<string, string> = {}): boolean => Object.entries(small).every(([k, v]) => big[k] === v);
const keyOf = (o: K8sObject): string => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;

/** A value is a placeholder when, once every `<...>` is removed, nothing secret-looking is left. */
function looksReal(value: string): boolean {
  if (!/<[^<>]+>/.test(value)) return value.length > 0;
  const rest = value.replace(/<[^<>]*>/g, '');
  return /(?=[A-Za-z0-9+/=_-]*\d)(?=[A-Za-z0-9+/=_-]*[A-Za-z])[A-Za-z0-9+/=_-]{16,}/.test(rest) || /"d"\s*:|BEGIN [A-Z ]*PRIVATE KEY/.test(rest);
}

function checkSecretsArePlaceholders(objs: K8sObject[]): void {
  for (const s of objs.filter((o) => o.kind === 'Secret')) {
    for (const [k, v] of Object.entries((s.data as Record<string, string> | undefined) ?? {})) {
      assert.ok(!looksReal(Buffer.from(v, 'base64').toString('utf8')), `Secret ${s.metadata.name} data.${k} looks like a real value`);
    }
    for (const [k, v] of Object.entries((s.stringData as Record<string, string> | undefined) ?? {})) {
      assert.ok(!looksReal(v), `Secret ${s.metadata.name} stringData.${k} looks like a real value`);
    }
  }
}

if (!KUBECTL && process.env.CI === 'true') throw new Error('kubectl is not on PATH: CI renders the Kustomize overlays with `kubectl kustomize` (.ci/run installs kubectl)');
const withoutKubectl = KUBECTL ? false : 'kubectl not installed: the overlays are rendered with `kubectl kustomize`';
const rendered = new Map(OVERLAYS.map((o) => [o, KUBECTL ? kustomize(join(DEPLOY, 'k8s/overlays', o)) : { status: null, stderr: '', objects: [] }]));
const secretExamples = parseManifests(readFileSync(join(DEPLOY, 'k8s/secrets/secrets.example.yaml'), 'utf8'), 'secrets.example.yaml');

describe('deploy: placeholder detection', () => {
  test('tells placeholders from values', () => {
    assert.equal(looksReal('mysql://lintel:<password>@<host>:3306/lintel'), false);
    assert.equal(looksReal('<file 0 of the token key repository>'), false);
    assert.equal(looksReal('mysql://lintel:s3cretPassw0rd@db:3306/lintel'), true);
    assert.equal(looksReal('<x> Ghm/FpM8NZL2aAe1twXvaNgh7LlXrBZrRMsN179bRL4='), true);
    assert.equal(looksReal('{"kty":"EC","crv":"P-256","d":"C1z2"}'), true);
  });
});

for (const overlay of OVERLAYS) {
  describe(`deploy/k8s/overlays/${overlay}`, { skip: withoutKubectl }, () => {
    const { status, stderr, objects: objs } = rendered.get(overlay)!;
    const config = (objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'lintel-config')?.data ?? {}) as Record<string, string>;

    test('`kubectl kustomize` renders it, without an error or a warning', () => {
      assert.equal(status, 0, stderr);
      assert.equal(stderr, '', 'no warning (a deprecated Kustomize field, for instance)');
    });

    test('renders the expected objects, each valid against the Kubernetes schema', async () => {
      const kinds = objs.map((o) => `${o.kind}/${o.metadata.name}`).sort();
      for (const want of ['ConfigMap/lintel-config', 'Job/lintel-db-migrate', 'ServiceAccount/lintel', 'NetworkPolicy/lintel-migration',
        ...Object.keys(APPS).flatMap((a) => ['Deployment', 'Service', 'PodDisruptionBudget', 'HorizontalPodAutoscaler', 'NetworkPolicy'].map((k) => `${k}/lintel-${a}`))]) {
        assert.ok(kinds.includes(want), `${want} rendered (got ${kinds.join(', ')})`);
      }
      assert.equal(new Set(objs.map(keyOf)).size, objs.length, 'no duplicate object');
      for (const o of objs) {
        await validate(o);
        if (o.kind !== 'Namespace') assert.equal(o.metadata.namespace, 'lintel', `${keyOf(o)} in namespace lintel`);
      }
    });

    test('each Deployment runs its app entry file (present in dist/), with probes on its port', () => {
      for (const [app, want] of Object.entries(APPS)) {
        const d = one(objs, 'Deployment', `lintel-${app}`);
        const spec = podSpecOf(d)!;
        assert.equal(spec.containers.length, 1);
        const c = spec.containers[0]!;
        assert.deepEqual(argv(c), ['node', want.entry]);
        assert.ok(existsSync(join(ROOT, want.entry)), `${want.entry} exists (npm run build)`);
        assert.match(c.image, /^registry\.example\.com\/lintel:\d+\.\d+\.\d+$/);
        assert.equal(Number(config[want.portVar]), want.port, `${want.portVar} in the ConfigMap`);
        const port = c.ports?.find((p) => p.containerPort === want.port);
        assert.ok(port?.name, `container port ${want.port} named`);
        const resolvePort = (p: number | string | undefined) => (typeof p === 'string' ? c.ports?.find((x) => x.name === p)?.containerPort : p);
        for (const [probe, path] of [['startupProbe', '/healthz'], ['livenessProbe', '/healthz'], ['readinessProbe', '/readyz']] as const) {
          assert.equal(c[probe]?.httpGet?.path, path, `${app} ${probe} path`);
          assert.equal(resolvePort(c[probe]?.httpGet?.port), want.port, `${app} ${probe} port`);
        }
        assert.ok(c.resources?.requests?.cpu && c.resources.requests.memory && c.resources.limits?.cpu && c.resources.limits.memory, `${app} requests and limits`);
        const grace = (spec as { terminationGracePeriodSeconds?: number }).terminationGracePeriodSeconds ?? 30;
        assert.ok(Number(config.LINTEL_SHUTDOWN_TIMEOUT ?? 10) + 5 <= grace, `${app}: LINTEL_SHUTDOWN_TIMEOUT ends before the kubelet's SIGKILL`);
        const replicas = (d.spec as { replicas: number }).replicas;
        assert.ok(replicas >= 1);
        // the Service, PDB, HPA and NetworkPolicy of this app all select its pods, on its port
        const labels = (d.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels;
        assert.ok(subset((d.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels, labels));
        const svc = one(objs, 'Service', `lintel-${app}`).spec as { selector: Record<string, string>; ports: { port: number; targetPort: number | string }[] };
        assert.ok(subset(svc.selector, labels));
        assert.deepEqual(svc.ports.map((p) => [p.port, resolvePort(p.targetPort)]), [[want.port, want.port]]);
        const pdb = one(objs, 'PodDisruptionBudget', `lintel-${app}`).spec as { selector: { matchLabels: Record<string, string> } };
        assert.ok(subset(pdb.selector.matchLabels, labels));
        const hpa = one(objs, 'HorizontalPodAutoscaler', `lintel-${app}`).spec as { scaleTargetRef: { kind: string; name: string }; minReplicas: number; maxReplicas: number };
        assert.deepEqual(hpa.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: `lintel-${app}` });
        assert.ok(hpa.minReplicas >= 1 && hpa.minReplicas <= hpa.maxReplicas && hpa.minReplicas === replicas, 'HPA minimum = initial replicas');
        const np = one(objs, 'NetworkPolicy', `lintel-${app}`).spec as NetPol;
        assert.ok(subset(np.podSelector.matchLabels, labels));
        assert.deepEqual(np.ingress?.flatMap((r) => r.ports?.map((p) => p.port) ?? []), [want.port], 'ingress only on the app port');
      }
    });

    test('the migration Job runs `db migrate`, then `bootstrap`, with the manage CLI', () => {
      const job = one(objs, 'Job', 'lintel-db-migrate');
      const spec = podSpecOf(job)!;
      assert.deepEqual(spec.initContainers?.map(argv), [['node', MANAGE, 'db', 'migrate']]);
      assert.deepEqual(spec.containers.map(argv), [['node', MANAGE, 'bootstrap']]);
      assert.ok(existsSync(join(ROOT, MANAGE)));
      assert.equal((spec as { restartPolicy?: string }).restartPolicy, 'Never');
      const boot = spec.containers[0]!;
      assert.deepEqual(boot.env?.find((e) => e.name === 'LINTEL_ADMIN_PASSWORD')?.valueFrom?.secretKeyRef, { name: 'lintel-admin', key: 'password' });
      const images = new Set([...spec.initContainers!, ...spec.containers, ...Object.keys(APPS).flatMap((a) => podSpecOf(one(objs, 'Deployment', `lintel-${a}`))!.containers)].map((c) => c.image));
      assert.equal(images.size, 1, 'the Job and the apps run one image');
      const np = one(objs, 'NetworkPolicy', 'lintel-migration').spec as NetPol;
      assert.ok(subset(np.podSelector.matchLabels, (job.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels));
      assert.deepEqual(np.ingress ?? [], [], 'no ingress to the Job');
    });

    test('every pod is non-root, read-only, without privileges, capabilities or a service-account token', () => {
      for (const o of objs) {
        const spec = podSpecOf(o);
        if (!spec) continue;
        assert.equal(spec.automountServiceAccountToken, false, `${keyOf(o)} automountServiceAccountToken`);
        assert.equal(spec.securityContext?.runAsNonRoot, true);
        assert.equal(spec.securityContext?.runAsUser, 10001);
        assert.deepEqual(spec.securityContext?.seccompProfile, { type: 'RuntimeDefault' });
        for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
          const sc = c.securityContext ?? {};
          assert.equal(sc.runAsNonRoot, true, `${keyOf(o)} ${c.name} runAsNonRoot`);
          assert.equal(sc.readOnlyRootFilesystem, true, `${keyOf(o)} ${c.name} readOnlyRootFilesystem`);
          assert.equal(sc.allowPrivilegeEscalation, false, `${keyOf(o)} ${c.name} allowPrivilegeEscalation`);
          assert.deepEqual(sc.capabilities, { drop: ['ALL'] }, `${keyOf(o)} ${c.name} capabilities`);
          assert.deepEqual(sc.seccompProfile, { type: 'RuntimeDefault' });
          assert.ok(!('privileged' in sc) || sc.privileged === false);
          assert.ok(c.resources?.limits?.memory, `${keyOf(o)} ${c.name} memory limit`);
        }
      }
    });

    test('config from the ConfigMap, the database URL from a Secret, key repositories mounted read-only, /tmp an emptyDir', () => {
      const dataDir = config.LINTEL_DATA_DIR!;
      assert.equal(dataDir, '/var/lib/lintel');
      for (const o of objs) {
        const spec = podSpecOf(o);
        if (!spec) continue;
        const volumes = new Map((spec.volumes ?? []).map((v) => [v.name, v]));
        const isApp = o.kind === 'Deployment';
        for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
          const where = `${keyOf(o)} ${c.name}`;
          assert.deepEqual(c.envFrom, [{ configMapRef: { name: 'lintel-config' } }], `${where} envFrom`);
          assert.deepEqual(c.env?.find((e) => e.name === 'LINTEL_DATABASE_URL')?.valueFrom?.secretKeyRef, { name: 'lintel-database', key: 'url' }, `${where} database URL`);
          assert.ok(!c.env?.some((e) => e.value !== undefined && /PASSWORD|SECRET|DATABASE_URL/.test(e.name)), `${where}: no secret as a literal`);
          const mount = (path: string) => c.volumeMounts?.find((m) => m.mountPath === path);
          const tmp = mount('/tmp');
          assert.ok(tmp && volumes.get(tmp.name)?.emptyDir, `${where} /tmp is an emptyDir`);
          if (!isApp) continue;
          for (const [repo, secret] of [['token-keys', 'lintel-token-keys'], ['credential-keys', 'lintel-credential-keys']]) {
            const m = mount(`${dataDir}/${repo}`);
            assert.ok(m, `${where} mounts ${dataDir}/${repo}`);
            assert.equal(m.readOnly, true, `${where} ${repo} read-only`);
            const v = volumes.get(m.name)?.secret;
            assert.equal(v?.secretName, secret);
            assert.equal(v?.defaultMode, 0o440, `${repo}: readable by the pod's group (fsGroup), not the world`);
          }
        }
      }
    });

    test('the ConfigMap sets only variables the app knows, and they validate', () => {
      const known = new Set(getMetadataStorage().getTargetValidationMetadatas(EnvSchema, '', true, false).map((m) => m.propertyName));
      assert.ok(known.has('LINTEL_BIND') && known.size > 20, 'read the schema');
      for (const k of Object.keys(config)) assert.ok(known.has(k), `${k} is a LINTEL_* variable of the schema`);
      assert.equal(config.LINTEL_BIND, '0.0.0.0');
      assert.ok(Object.values(config).every((v) => typeof v === 'string'), 'ConfigMap values are strings');
      const c = loadConfig({ ...config, LINTEL_DATABASE_URL: 'mysql://lintel:x@db:3306/lintel' });
      assert.equal(c.bind, '0.0.0.0');
      assert.equal(c.dataDir, '/var/lib/lintel');
    });

    test('NetworkPolicies allow egress to DNS and the database only', () => {
      const policies = objs.filter((o) => o.kind === 'NetworkPolicy');
      assert.equal(policies.length, Object.keys(APPS).length + 1, 'one per app and one for the migration Job');
      for (const np of policies) {
        const spec = np.spec as NetPol;
        assert.deepEqual(spec.policyTypes, ['Ingress', 'Egress']);
        const ports = spec.egress?.flatMap((r) => r.ports?.map((p) => `${p.port}/${p.protocol}`) ?? ['any']) ?? [];
        assert.deepEqual(ports.sort(), ['3306/TCP', '53/TCP', '53/UDP']);
      }
    });

    test('no Secret in the output, and every Secret referenced is one of the documented examples', () => {
      checkSecretsArePlaceholders(objs);
      assert.deepEqual(objs.filter((o) => o.kind === 'Secret'), [], 'Secrets are created by the operator, never applied from here');
      const examples = new Map(secretExamples.map((s) => [s.metadata.name, s.stringData as Record<string, string>]));
      for (const o of objs) {
        const spec = podSpecOf(o);
        if (!spec) continue;
        for (const v of spec.volumes ?? []) if (v.secret) assert.ok(examples.has(v.secret.secretName), `${v.secret.secretName} documented`);
        for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
          for (const e of c.env ?? []) {
            const ref = e.valueFrom?.secretKeyRef;
            if (ref) assert.ok(examples.get(ref.name)?.[ref.key] !== undefined, `${ref.name}.${ref.key} documented`);
          }
        }
      }
    });
  });
}

describe('deploy: the probe and scrape paths answer on the real apps, run with the production ConfigMap', { skip: withoutKubectl }, () => {
  const objs = rendered.get('production')!.objects;
  const config = (objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'lintel-config')?.data ?? {}) as Record<string, string>;
  const local = new Set(['LINTEL_BIND', 'LINTEL_DATA_DIR', 'LINTEL_IDENTITY_PORT', 'LINTEL_MULTICLOUD_PORT', 'LINTEL_LOG_LEVEL']);
  const ctx = useLintel(databaseKinds()[0]!, Object.fromEntries(Object.entries(config).filter(([k]) => !local.has(k))));

  test('startup, liveness, readiness and /metrics give 200 on both apps', async () => {
    for (const app of Object.keys(APPS)) {
      const d = one(objs, 'Deployment', `lintel-${app}`);
      const c = podSpecOf(d)!.containers[0]!;
      const base = app === 'identity' ? ctx.h.url : ctx.h.multicloudUrl;
      const annotations = (d.spec as { template: { metadata: { annotations: Record<string, string> } } }).template.metadata.annotations;
      assert.equal(Number(annotations['prometheus.io/port']), APPS[app]!.port);
      for (const path of [c.startupProbe?.httpGet?.path, c.livenessProbe?.httpGet?.path, c.readinessProbe?.httpGet?.path, annotations['prometheus.io/path']]) {
        const r = await fetch(`${base}${path}`);
        assert.equal(r.status, 200, `${app} GET ${path}`);
        await r.arrayBuffer();
      }
    }
  });
});

type NetPol = { podSelector: { matchLabels: Record<string, string> }; policyTypes: string[]; ingress?: { ports?: { port: number; protocol: string }[] }[]; egress?: { ports?: { port: number; protocol: string }[] }[] };

describe('deploy/k8s/secrets/secrets.example.yaml', () => {
  test('valid Secrets holding placeholders only', async () => {
    assert.deepEqual(secretExamples.map((s) => s.metadata.name).sort(), ['lintel-admin', 'lintel-credential-keys', 'lintel-database', 'lintel-token-keys']);
    for (const s of secretExamples) {
      assert.equal(s.kind, 'Secret');
      assert.equal(s.data, undefined, 'examples use stringData');
      await validate(s);
    }
    checkSecretsArePlaceholders(secretExamples);
    assert.throws(() => checkSecretsArePlaceholders([{ ...secretExamples[0]!, stringData: { url: 'mysql://lintel:Tr0ub4dor3xyzzy12@db:3306/lintel' } }]), /stringData\.url looks like a real value/);
  });

  test('the shipped manifests carry no real-looking secret anywhere', () => {
    const files = readdirSync(DEPLOY, { recursive: true, encoding: 'utf8' }).map((f) => join(DEPLOY, f)).filter((f) => statSync(f).isFile());
    assert.ok(files.length > 10);
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      assert.doesNotMatch(text, /BEGIN [A-Z ]*PRIVATE KEY|"d"\s*:\s*"|[A-Za-z0-9+/]{43}=/, f);
    }
  });
});

/** The Dockerfile's stages: name, base, and instructions (continuation lines joined). */
function dockerfile(): { name: string; from: string; lines: string[] }[] {
  const text = readFileSync(join(DEPLOY, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const stages: { name: string; from: string; lines: string[] }[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) stages.push({ from: from[1]!, name: from[2] ?? String(stages.length), lines: [] });
    else if (stages.length) stages.at(-1)!.lines.push(line);
  }
  return stages;
}

describe('deploy/Dockerfile and .dockerignore', () => {
  const stages = dockerfile();
  const runtime = stages.at(-1)!;
  const instr = (s: { lines: string[] }, name: string) => s.lines.filter((l) => l.toUpperCase().startsWith(`${name} `));
  const execForm = (s: { lines: string[] }, name: string): string[] => {
    const all = instr(s, name);
    assert.equal(all.length, 1, `one ${name}`);
    return JSON.parse(all[0]!.slice(name.length + 1)) as string[];
  };

  test('multi-stage: a build stage with the dev dependencies, a Node 20 slim runtime', () => {
    assert.ok(stages.length >= 2, 'multi-stage');
    const text = readFileSync(join(DEPLOY, 'Dockerfile'), 'utf8');
    assert.match(text, /^ARG NODE_IMAGE=node:20-bookworm-slim$/m);
    assert.ok(stages.every((s) => s.from === '${NODE_IMAGE}'), 'every stage on Node 20 bookworm slim');
    const build = stages.find((s) => instr(s, 'RUN').some((l) => /\bnpm ci\b(?!.*--omit=dev)/.test(l)) && instr(s, 'RUN').some((l) => /npm run build/.test(l)));
    assert.ok(build, 'a stage runs npm ci (dev dependencies included) and npm run build');
    assert.ok(instr(build, 'RUN').some((l) => /python3/.test(l) && /g\+\+/.test(l) && /make/.test(l)), 'build tools for the native modules');
    assert.ok(instr(runtime, 'COPY').some((l) => l.includes(`--from=${build.name}`) && /\/dist\b/.test(l)), 'the runtime copies dist/ from the build stage');
    assert.ok(!instr(runtime, 'RUN').some((l) => /\bnpm (ci|install|run)\b|apt-get install/.test(l)), 'nothing built or installed in the runtime stage');
  });

  test('production node_modules from `npm ci --omit=dev`, and only dist/, node_modules and package.json', () => {
    const copies = instr(runtime, 'COPY');
    const modules = copies.find((l) => /node_modules/.test(l));
    const from = /--from=(\S+)/.exec(modules ?? '')?.[1];
    const deps = stages.find((s) => s.name === from);
    assert.ok(deps, 'node_modules copied from another stage');
    assert.ok(instr(deps, 'RUN').some((l) => /\bnpm ci --omit=dev\b/.test(l)), `stage ${from} runs npm ci --omit=dev`);
    assert.ok(!instr(deps, 'COPY').some((l) => /\b(apps|libs|dist)\b/.test(l)), 'the deps stage sees no sources');
    const targets = copies.map((l) => l.split(/\s+/).at(-1)!);
    // dist/console: the browser console's built files, served by the identity app.
    assert.deepEqual(targets.sort(), ['./', './dist/apps', './dist/console', './dist/libs', './node_modules'].sort());
    assert.ok(copies.some((l) => /^COPY package\.json \.\/$/.test(l)));
  });

  test('non-root, /app, data and tmp volumes, ports, ENTRYPOINT node and CMD the identity app', () => {
    const user = instr(runtime, 'USER');
    assert.deepEqual(user, ['USER 10001:10001']);
    assert.deepEqual(instr(runtime, 'WORKDIR'), ['WORKDIR /app']);
    assert.ok(instr(runtime, 'ENV').some((l) => /LINTEL_DATA_DIR=\/var\/lib\/lintel/.test(l) && /LINTEL_BIND=0\.0\.0\.0/.test(l)));
    assert.deepEqual(execForm(runtime, 'VOLUME').sort(), ['/tmp', '/var/lib/lintel']);
    assert.deepEqual(instr(runtime, 'EXPOSE'), ['EXPOSE 5000 8089']);
    assert.deepEqual(execForm(runtime, 'ENTRYPOINT'), ['node']);
    const cmd = execForm(runtime, 'CMD');
    assert.deepEqual(cmd, [APPS.identity!.entry]);
    assert.ok(existsSync(join(ROOT, cmd[0]!)));
    // the manifests run the same programs the image knows, and the README names them
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8') + readFileSync(join(DEPLOY, 'README.md'), 'utf8');
    for (const entry of [APPS.identity!.entry, APPS.multicloud!.entry, MANAGE]) assert.ok(readme.includes(`node ${entry}`), `README names node ${entry}`);
    const text = readFileSync(join(DEPLOY, 'Dockerfile'), 'utf8');
    for (const src of text.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
      for (const p of src[1]!.split(/\s+/)) assert.ok(existsSync(join(ROOT, p)), `build context has ${p}`);
    }
  });

  test('.dockerignore keeps host builds, data and git out of the context, and keeps what the build copies', () => {
    const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    for (const p of ['node_modules', 'dist', 'data', '.git', 'test-results', '*.log']) assert.ok(ignore.includes(p) || ignore.includes(`${p}/`) || ignore.includes(`**/${p}`), `.dockerignore excludes ${p}`);
    const copied = [...readFileSync(join(DEPLOY, 'Dockerfile'), 'utf8').matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1]!.split(/\s+/));
    for (const p of copied) assert.ok(!ignore.some((i) => i === p || i === `${p}/`), `${p} is in the build context`);
  });
});
