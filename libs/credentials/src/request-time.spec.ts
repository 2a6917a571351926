import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseHttpDate, parseIso8601 } from './request-time.js';

const iso = (d: Date | undefined) => d?.toISOString();

test('parseIso8601: extended and basic forms, fractions, zones; UTC when no zone', () => {
  assert.equal(iso(parseIso8601('2026-07-18T10:15:02Z')), '2026-07-18T10:15:02.000Z');
  assert.equal(iso(parseIso8601('2026-07-18 10:15:02.5z')), '2026-07-18T10:15:02.500Z');
  assert.equal(iso(parseIso8601('2026-07-18T10:15:02,123456-05:30')), '2026-07-18T15:45:02.123Z');
  assert.equal(iso(parseIso8601('2026-07-18T10:15:02+0100')), '2026-07-18T09:15:02.000Z');
  assert.equal(iso(parseIso8601('2026-07-18T10:15:02+01')), '2026-07-18T09:15:02.000Z');
  assert.equal(iso(parseIso8601('2026-07-18T10:15:02')), '2026-07-18T10:15:02.000Z');
  assert.equal(iso(parseIso8601('20260718T101502Z')), '2026-07-18T10:15:02.000Z');
  assert.equal(iso(parseIso8601('20260718T101502')), '2026-07-18T10:15:02.000Z');
  assert.equal(iso(parseIso8601('20240229T000000Z')), '2024-02-29T00:00:00.000Z', 'leap day');
});

test('parseIso8601: undefined for non-dates and impossible dates', () => {
  for (const bad of ['', 'now', '2026-07-18', '2026-07-18T10:15Z', '2025-02-29T00:00:00Z', '2026-13-01T00:00:00Z', '2026-07-18T24:00:00Z', '2026-07-18T10:60:00Z', '1721297702']) {
    assert.equal(parseIso8601(bad), undefined, bad);
  }
});

test('parseHttpDate: RFC 1123 / 2822 dates as S3 SigV2 clients send them', () => {
  assert.equal(iso(parseHttpDate('Tue, 27 Mar 2007 19:36:42 +0000')), '2007-03-27T19:36:42.000Z');
  assert.equal(iso(parseHttpDate('Tue, 11 Dec 2012 21:41:41 GMT')), '2012-12-11T21:41:41.000Z');
  assert.equal(iso(parseHttpDate('27 Mar 2007 19:36:42 -0130')), '2007-03-27T21:06:42.000Z');
  assert.equal(iso(parseHttpDate('Tue, 7 Mar 2007 19:36:42 UTC')), '2007-03-07T19:36:42.000Z');
  for (const bad of ['', 'Tue, 27 Foo 2007 19:36:42 GMT', 'Tue, 30 Feb 2007 19:36:42 GMT', 'Tue, 27 Mar 2007 19:36 GMT', '2007-03-27T19:36:42Z', 'Tue, 27 Mar 2007 19:36:42 PST']) {
    assert.equal(parseHttpDate(bad), undefined, bad);
  }
});
