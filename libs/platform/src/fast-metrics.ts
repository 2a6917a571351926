import type { Counter, Registry } from 'prom-client';

// prom-client hashes a child's label set again on every inc() and observe(): a visible share of a
// request's time on the busiest routes. The helpers here keep per-request work to an addition
// and give prom-client (or the scrape) the totals.

type Labels = Record<string, string>;

/** A counter child: `inc` adds up locally; the total reaches the counter when it is scraped. */
export interface CounterChild {
  inc(n?: number): void;
}

/**
 * Children of a prom-client Counter whose increments are handed over in bulk by {@link flush},
 * which the counter's `collect` (run on every scrape and every `get()`) calls.
 */
export class DeferredCounter {
  private readonly children: Array<{ labels: Labels; pending: number }> = [];
  private readonly byKey = new Map<string, CounterChild>();

  constructor(private readonly counter: () => Counter<string>) {}

  /** The child for a label set; look it up once and keep it. */
  labels(labels: Labels): CounterChild {
    const key = JSON.stringify(labels);
    let child = this.byKey.get(key);
    if (!child) {
      const state = { labels: { ...labels }, pending: 0 };
      this.children.push(state);
      child = { inc: (n = 1) => void (state.pending += n) };
      this.byKey.set(key, child);
    }
    return child;
  }

  flush(): void {
    for (const c of this.children) {
      if (!c.pending) continue;
      this.counter().inc(c.labels, c.pending);
      c.pending = 0;
    }
  }
}

/** A histogram child. */
export interface HistogramChild {
  observe(value: number): void;
}

interface Series {
  labels: Labels;
  /** Observations per upper bound (not cumulative), and above the last one. */
  counts: number[];
  sum: number;
  count: number;
}

/**
 * A Prometheus histogram registered on a prom-client Registry, exposed exactly as prom-client's
 * own Histogram (same bucket, sum and count lines; fast-metrics.spec.ts compares the two), whose children
 * observe with a bucket search and three additions.
 */
export class FastHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series = new Map<string, Series>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly upperBounds: readonly number[],
    registry: Registry,
  ) {
    registry.registerMetric(this as never);
  }

  labels(labels: Labels): HistogramChild {
    const key = JSON.stringify(labels);
    let s = this.series.get(key);
    if (!s) this.series.set(key, (s = { labels: { ...labels }, counts: Array(this.upperBounds.length + 1).fill(0), sum: 0, count: 0 }));
    const series = s;
    const bounds = this.upperBounds;
    return {
      observe(value: number) {
        if (!Number.isFinite(value)) return;
        let i = 0;
        while (i < bounds.length && value > bounds[i]!) i++;
        series.counts[i]!++;
        series.sum += value;
        series.count++;
      },
    };
  }

  reset(): void {
    this.series.clear();
  }

  /** What prom-client's Registry formats: the values of prom-client's own histogram export. */
  async getForPromString() {
    // Shaped as prom-client's (`exemplar` included: null on buckets, undefined on sum and count).
    const values: Array<{ labels: Labels | { le: number | string }; sharedLabels: Labels; value: number; metricName: string; exemplar: null | undefined }> = [];
    for (const s of this.series.values()) {
      let cumulative = 0;
      this.upperBounds.forEach((le, i) => {
        cumulative += s.counts[i]!;
        values.push({ labels: { le }, sharedLabels: s.labels, value: cumulative, metricName: `${this.name}_bucket`, exemplar: null });
      });
      values.push(
        { labels: { le: '+Inf' }, sharedLabels: s.labels, value: s.count, metricName: `${this.name}_bucket`, exemplar: null },
        { labels: {}, sharedLabels: s.labels, value: s.sum, metricName: `${this.name}_sum`, exemplar: undefined },
        { labels: {}, sharedLabels: s.labels, value: s.count, metricName: `${this.name}_count`, exemplar: undefined },
      );
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  /** The JSON form (`Registry.getMetricsAsJSON`): labels of each value merged, as prom-client does. */
  async get() {
    const data = await this.getForPromString();
    return { ...data, values: data.values.map(({ sharedLabels, labels, ...v }) => ({ ...v, labels: { ...labels, ...sharedLabels } })) };
  }
}
