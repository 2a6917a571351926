import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';

/** One Kubernetes object as parsed from YAML. */
export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }; [k: string]: unknown };

/**
 * Parses a multi-document YAML file the way Kubernetes does: YAML 1.1 (so `defaultMode: 0440`
 * is octal, as kubectl reads it). Empty documents are dropped; any parse error throws.
 */
export function parseManifests(text: string, source = '<yaml>'): K8sObject[] {
  const out: K8sObject[] = [];
  for (const doc of parseAllDocuments(text, { version: '1.1', prettyErrors: true })) {
    if (doc.errors.length) throw new Error(`${source}: ${doc.errors.map((e) => e.message).join('; ')}`);
    const v = doc.toJS({ maxAliasCount: -1 }) as K8sObject | null;
    if (v === null || v === undefined) continue;
    out.push(v);
  }
  return out;
}

const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'PersistentVolume', 'StorageClass', 'PriorityClass']);
const KNOWN_KEYS = new Set(['apiVersion', 'kind', 'namespace', 'resources', 'images', 'replicas', 'patches']);

type Op = { op: 'add' | 'replace' | 'remove'; path: string; value?: unknown };
type Kustomization = {
  namespace?: string;
  resources?: string[];
  images?: { name: string; newName?: string; newTag?: string }[];
  replicas?: { name: string; count: number }[];
  patches?: { target?: { kind?: string; name?: string }; patch?: string; path?: string }[];
};

/**
 * A small Kustomize: renders `dir/kustomization.yaml` with the subset of Kustomize that
 * deploy/k8s uses (resources as files or directories, namespace, images, replicas, and
 * patches with an inline JSON 6902 patch targeted by kind and/or name). Anything else in a
 * kustomization is refused rather than ignored, so the rendering never silently differs from
 * `kubectl kustomize` (which the test compares it with where kubectl is installed).
 */
export function renderKustomization(dir: string): K8sObject[] {
  const file = join(dir, 'kustomization.yaml');
  const k = parseManifests(readFileSync(file, 'utf8'), file)[0] as unknown as Kustomization & Record<string, unknown>;
  for (const key of Object.keys(k)) if (!KNOWN_KEYS.has(key)) throw new Error(`${file}: "${key}" is not supported by this renderer`);
  let objects: K8sObject[] = [];
  for (const r of k.resources ?? []) {
    const p = resolve(dir, r);
    objects.push(...(statSync(p).isDirectory() ? renderKustomization(p) : parseManifests(readFileSync(p, 'utf8'), p)));
  }
  objects = structuredClone(objects);
  for (const patch of k.patches ?? []) {
    if (patch.path || !patch.patch) throw new Error(`${file}: only inline JSON 6902 patches are supported`);
    const t = patch.target ?? {};
    for (const key of Object.keys(t)) if (key !== 'kind' && key !== 'name') throw new Error(`${file}: patch target "${key}" is not supported`);
    const ops = parseManifests(patch.patch, file)[0] as unknown as Op[];
    const hits = objects.filter((o) => (!t.kind || o.kind === t.kind) && (!t.name || o.metadata.name === t.name));
    if (!hits.length) throw new Error(`${file}: patch target ${JSON.stringify(t)} matches nothing`);
    for (const o of hits) for (const op of ops) applyOp(o, op);
  }
  for (const r of k.replicas ?? []) {
    const hits = objects.filter((o) => ['Deployment', 'StatefulSet', 'ReplicaSet'].includes(o.kind) && o.metadata.name === r.name);
    if (!hits.length) throw new Error(`${file}: replicas for ${r.name} match nothing`);
    for (const o of hits) (o.spec as { replicas: number }).replicas = r.count;
  }
  for (const img of k.images ?? []) {
    for (const c of containersOf(objects)) {
      const name = c.image.replace(/@.*$/, '').replace(/:[^/:]*$/, '');
      if (name !== img.name) continue;
      const tag = img.newTag ?? (c.image.match(/:([^/:@]*)$/)?.[1]);
      c.image = `${img.newName ?? name}${tag ? `:${tag}` : ''}`;
    }
  }
  if (k.namespace) for (const o of objects) if (!CLUSTER_SCOPED.has(o.kind)) o.metadata.namespace = k.namespace;
  return objects;
}

/** The pod template spec of a workload (Deployment, Job, ...), or undefined. */
export function podSpecOf(o: K8sObject): PodSpec | undefined {
  return (o.spec as { template?: { spec?: PodSpec } } | undefined)?.template?.spec;
}

export type Container = {
  name: string; image: string; command?: string[]; args?: string[];
  ports?: { name?: string; containerPort: number; protocol?: string }[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string }; configMapKeyRef?: { name: string; key: string } } }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
  securityContext?: Record<string, unknown>;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  livenessProbe?: Probe; readinessProbe?: Probe; startupProbe?: Probe;
};
export type Probe = { httpGet?: { path: string; port: number | string } };
export type PodSpec = {
  containers: Container[]; initContainers?: Container[]; securityContext?: Record<string, unknown>;
  volumes?: { name: string; secret?: { secretName: string; defaultMode?: number }; emptyDir?: object }[];
  automountServiceAccountToken?: boolean; serviceAccountName?: string;
};

function containersOf(objects: K8sObject[]): Container[] {
  return objects.flatMap((o) => {
    const s = podSpecOf(o);
    return s ? [...(s.initContainers ?? []), ...s.containers] : [];
  });
}

function applyOp(target: unknown, op: Op): void {
  if (!['add', 'replace', 'remove'].includes(op.op)) throw new Error(`JSON patch op "${op.op}" is not supported`);
  const parts = op.path.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  const last = parts.pop();
  if (last === undefined) throw new Error(`bad JSON patch path "${op.path}"`);
  let parent = target as Record<string, unknown> | unknown[];
  for (const p of parts) {
    const next = Array.isArray(parent) ? parent[Number(p)] : parent[p];
    if (next === null || typeof next !== 'object') throw new Error(`JSON patch path "${op.path}" does not exist`);
    parent = next as Record<string, unknown> | unknown[];
  }
  const value = structuredClone(op.value);
  if (Array.isArray(parent)) {
    const i = last === '-' ? parent.length : Number(last);
    if (!Number.isInteger(i) || i < 0 || i > parent.length || (op.op !== 'add' && i >= parent.length)) throw new Error(`JSON patch path "${op.path}": bad index`);
    if (op.op === 'add') parent.splice(i, 0, value);
    else if (op.op === 'replace') parent[i] = value;
    else parent.splice(i, 1);
    return;
  }
  if (op.op !== 'add' && !(last in parent)) throw new Error(`JSON patch path "${op.path}" does not exist`);
  if (op.op === 'remove') delete parent[last];
  else parent[last] = value;
}
