/**
 * Alibaba's XML answers (docs/alibaba.md, "Requests and answers"): root `<{Action}Response>` (or
 * `<Error>`), members as elements in order, a list repeats its item element inside its wrapper
 * (`{"AccessKeys":{"AccessKey":[a,b]}}` → `<AccessKeys><AccessKey>a</AccessKey><AccessKey>b</AccessKey></AccessKeys>`).
 */

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);

function element(name: string, v: unknown): string {
  if (v === undefined || v === null) return '';
  if (Array.isArray(v)) return v.map((x) => element(name, x)).join('');
  if (typeof v === 'object') return `<${name}>${members(v as Record<string, unknown>)}</${name}>`;
  return `<${name}>${escape(String(v))}</${name}>`;
}

const members = (o: Record<string, unknown>) => Object.entries(o).map(([k, v]) => element(k, v)).join('');

/** The XML document of a JSON-shaped answer under `root`. */
export function renderXml(root: string, body: Record<string, unknown>): string {
  return element(root, body);
}
