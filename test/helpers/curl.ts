import { execFile } from 'node:child_process';
import { onPath, redact } from './commands.js';

export const CURL = onPath('curl');
export const CURL_MISSING = 'curl is not installed (apt-get install curl)';
const CURL_TIMEOUT_MS = 30_000;

export interface CurlResponse {
  status: number;
  headers: Map<string, string>;
  /** Parsed JSON when the body is JSON, else undefined. */
  body: any;
  /** The body as text ('' when written to a file with --output). */
  text: string;
}

export interface CurlRequest {
  method: string;
  url: string;
  headers?: string[];
  /** `--data-raw` as the guides write it; '' sends an empty body as curl does. */
  dataRaw?: string;
  /** `--output <file>`: the body goes to the file. */
  output?: string;
}

/**
 * Runs the real curl as `curl --location --request <METHOD> '<url>' --header ... --data-raw ...`,
 * the way SODA's guide writes its commands, plus `-sS -D -` so status and headers can be read.
 */
export function curl(r: CurlRequest): Promise<CurlResponse> {
  const args = ['-sS', '-D', '-', '--location', '--request', r.method, r.url];
  for (const h of r.headers ?? []) args.push('--header', h);
  if (r.dataRaw !== undefined) args.push('--data-raw', r.dataRaw);
  if (r.output) args.push('--output', r.output);
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/_proxy$/i.test(k)) env[k] = v;
  return new Promise((resolve, reject) => {
    if (!CURL) return reject(new Error(`${CURL_MISSING}; it is required when CI=true`));
    execFile(CURL, args, { env, timeout: CURL_TIMEOUT_MS, maxBuffer: 4 << 20 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`curl ${r.method} ${r.url}: exit status ${err.code}: ${redact(stderr.trim())}`));
      // Header blocks (a 100 Continue, redirects) come first; the last one belongs to the body.
      let rest = stdout;
      let head = '';
      while (/^HTTP\/[\d.]+ \d{3}/.test(rest)) {
        const end = rest.indexOf('\r\n\r\n');
        if (end < 0) return reject(new Error(`curl ${r.method} ${r.url}: no end of headers in ${redact(rest).slice(0, 300)}`));
        head = rest.slice(0, end);
        rest = rest.slice(end + 4);
      }
      const [statusLine, ...lines] = head.split('\r\n');
      const headers = new Map<string, string>();
      for (const l of lines) {
        const i = l.indexOf(':');
        if (i > 0) headers.set(l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim());
      }
      let parsed: unknown;
      try {
        parsed = rest ? JSON.parse(rest) : undefined;
      } catch {
        parsed = undefined;
      }
      resolve({ status: Number(statusLine?.split(' ')[1]), headers, body: parsed, text: rest });
    });
  });
}
