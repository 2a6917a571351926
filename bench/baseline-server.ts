import { createServer } from 'node:http';

/**
 * The reference point of the benchmark: a bare `node:http` server answering every request with
 * the same ~1 KB JSON document, serialised per request (as a framework would). Started as a child
 * process by bench/lib/servers.ts on `BENCH_PORT`.
 */
const port = Number(process.env.BENCH_PORT ?? 0);

const payload = {
  token: {
    methods: ['password'],
    user: {
      domain: { id: 'default', name: 'Default' },
      id: '3ec3164f750146be97f21559ee4d9c51',
      name: 'admin',
      password_expires_at: null,
    },
    audit_ids: ['Xr2OtqGJTpCYb6xW8bYvhQ'],
    expires_at: '2030-01-01T00:00:00.000000Z',
    issued_at: '2030-01-01T00:00:00.000000Z',
    project: { domain: { id: 'default', name: 'Default' }, id: 'a6944d763bf64ee6a275f1263fae0352', name: 'admin' },
    is_domain: false,
    roles: [
      { id: '51cc68287d524c759f47c811e6463340', name: 'admin' },
      { id: '9fe2ff9ee4384b1894a90878d3e92bab', name: 'member' },
      { id: 'c2b6b1f5a3d84d0c9e1f0a7b8c9d0e1f', name: 'reader' },
    ],
    catalog: [
      {
        endpoints: [
          { id: '068d1b359ee84b438266cb736d81de97', interface: 'public', region: 'RegionOne', region_id: 'RegionOne', url: 'http://127.0.0.1:5000/v3/' },
          { id: '8bfc846841ab441ca38471be6d164ced', interface: 'internal', region: 'RegionOne', region_id: 'RegionOne', url: 'http://127.0.0.1:5000/v3/' },
          { id: 'beb6d358c3654b4bada04d4663b640b9', interface: 'admin', region: 'RegionOne', region_id: 'RegionOne', url: 'http://127.0.0.1:5000/v3/' },
        ],
        id: '050726f278654128aba89757ae25910c',
        type: 'identity',
        name: 'keystone',
      },
    ],
  },
};

createServer((req, res) => {
  const body = JSON.stringify(payload);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}).listen(port, '127.0.0.1');

process.once('SIGTERM', () => process.exit(0));
