import { spawnSync } from 'node:child_process';
import { parseAllDocuments } from 'yaml';
import { onPath } from '../helpers/commands.js';

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

/** kubectl, which renders Kustomize overlays (`kubectl kustomize`); undefined where it is not installed. */
export const KUBECTL = onPath('kubectl');

/** What `kubectl kustomize <dir>` printed, and the objects it rendered (none if it failed). */
export interface Rendered {
  status: number | null;
  stderr: string;
  objects: K8sObject[];
}

/** Renders the Kustomize directory `dir` with the real `kubectl kustomize`. */
export function kustomize(dir: string): Rendered {
  const r = spawnSync(KUBECTL ?? 'kubectl', ['kustomize', dir], { encoding: 'utf8', maxBuffer: 16 << 20 });
  if (r.error) throw r.error;
  return { status: r.status, stderr: r.stderr, objects: r.status === 0 ? parseManifests(r.stdout, `kubectl kustomize ${dir}`) : [] };
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
