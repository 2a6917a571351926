import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Counter, Histogram, Registry } from 'prom-client';
import { DeferredCounter, FastHistogram } from './fast-metrics.js';

const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const SAMPLES = [0, 0.0004, 0.0005, 0.0007, 0.003, 0.003, 0.02, 0.5, 1, 4.9, 5, 7.5, 120];
const LABELS = [{ app: 'identity', method: 'GET', route: '/v3', status: '200' }, { app: 'identity', method: 'POST', route: '/v3/ec2tokens', status: '401' }];

test('FastHistogram is exposed exactly as prom-client\'s Histogram (text and JSON)', async () => {
  const reference = new Registry();
  const ours = new Registry();
  const h = new Histogram({ name: 'x_seconds', help: 'Help "text".', labelNames: ['app', 'method', 'route', 'status'], buckets: BUCKETS, registers: [reference] });
  const f = new FastHistogram('x_seconds', 'Help "text".', BUCKETS, ours);
  for (const labels of LABELS) {
    const child = f.labels(labels);
    for (const v of SAMPLES) {
      h.observe(labels, v);
      child.observe(v);
    }
  }
  f.labels(LABELS[0]!).observe(0.01);
  h.observe(LABELS[0]!, 0.01);
  assert.equal(await ours.metrics(), await reference.metrics());
  assert.deepEqual(await ours.getMetricsAsJSON(), await reference.getMetricsAsJSON());
});

test('DeferredCounter hands its counts to the counter whenever the counter is read', async () => {
  const registry = new Registry();
  const counter: Counter<string> = new Counter({ name: 'y_total', help: 'y', labelNames: ['dialect', 'outcome'], registers: [registry], collect() { deferred.flush(); } });
  const deferred = new DeferredCounter(() => counter);
  const accepted = deferred.labels({ dialect: 'ec2', outcome: 'accepted' });
  for (let i = 0; i < 5; i++) accepted.inc();
  deferred.labels({ dialect: 'ec2', outcome: 'refused' }).inc(2);
  assert.equal(deferred.labels({ dialect: 'ec2', outcome: 'accepted' }), accepted, 'one child per label set');
  assert.match(await registry.metrics(), /y_total\{dialect="ec2",outcome="accepted"\} 5\ny_total\{dialect="ec2",outcome="refused"\} 2/);
  accepted.inc();
  const values = (await counter.get()).values;
  assert.deepEqual(values.map((v) => [v.labels.outcome, v.value]), [['accepted', 6], ['refused', 2]]);
});
