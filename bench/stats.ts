// Timing helpers shared by benchmarks: percentiles over repeated samples.

/** Nearest-rank percentile (p in 0..100) of unsorted samples. */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export interface Summary {
  n: number;
  p50: number;
  p95: number;
  min: number;
  max: number;
}

export function summarize(samples: number[]): Summary {
  return {
    n: samples.length,
    p50: percentile(samples, 50),
    p95: percentile(samples, 95),
    min: Math.min(...samples),
    max: Math.max(...samples),
  };
}

/** Rounds for display and JSON: 3 significant decimals are plenty for milliseconds. */
export function round(value: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Sample standard deviation (n − 1). */
export function sd(xs: number[]): number {
  if (xs.length < 2) return NaN;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
}

// Two-sided 97.5 % quantiles of Student's t for df = 1..30 (beyond: the normal's 1.96).
const T975 = [
  12.706,
  4.303,
  3.182,
  2.776,
  2.571,
  2.447,
  2.365,
  2.306,
  2.262,
  2.228,
  2.201,
  2.179,
  2.16,
  2.145,
  2.131,
  2.12,
  2.11,
  2.101,
  2.093,
  2.086,
  2.08,
  2.074,
  2.069,
  2.064,
  2.06,
  2.056,
  2.052,
  2.048,
  2.045,
  2.042,
];

function t975(df: number): number {
  if (!Number.isFinite(df) || df < 1) return NaN;
  if (df >= 30) return df >= 120 ? 1.96 : T975[29];
  const lo = Math.floor(df);
  const hi = Math.min(lo + 1, 30);
  return T975[lo - 1] + (T975[hi - 1] - T975[lo - 1]) * (df - lo);
}

export interface Difference {
  /** mean(a) − mean(b). */
  diff: number;
  /** Welch 95 % confidence interval of the difference. */
  ci95: [number, number];
  df: number;
  /** Two-sided permutation p-value of the difference in means (exact up to 20,000 splits). */
  p_permutation: number;
}

/** Mean difference of two samples with Welch's 95 % interval and a permutation test. */
export function difference(a: number[], b: number[]): Difference {
  const diff = mean(a) - mean(b);
  const va = sd(a) ** 2 / a.length;
  const vb = sd(b) ** 2 / b.length;
  const se = Math.sqrt(va + vb);
  const df = (va + vb) ** 2 / (va ** 2 / (a.length - 1) + vb ** 2 / (b.length - 1));
  const t = t975(df);
  return {
    diff,
    ci95: [diff - t * se, diff + t * se],
    df,
    p_permutation: permutationP(a, b),
  };
}

function permutationP(a: number[], b: number[]): number {
  const all = [...a, ...b];
  const n = all.length;
  const k = a.length;
  const total = all.reduce((x, y) => x + y, 0);
  const observed = Math.abs(mean(a) - mean(b));
  const stat = (sumA: number) => Math.abs(sumA / k - (total - sumA) / (n - k));
  let extreme = 0;
  let count = 0;
  const eps = 1e-12;
  // Exact: every way of choosing which k values are "a" (C(10,5) = 252 for 5 + 5).
  const choose = (m: number, r: number): number => (r === 0 ? 1 : (choose(m - 1, r - 1) * m) / r);
  if (choose(n, k) <= 20_000) {
    const walk = (start: number, left: number, sum: number) => {
      if (left === 0) {
        count++;
        if (stat(sum) >= observed - eps) extreme++;
        return;
      }
      for (let i = start; i <= n - left; i++) walk(i + 1, left - 1, sum + all[i]);
    };
    walk(0, k, 0);
    return extreme / count;
  }
  for (let r = 0; r < 20_000; r++) {
    const shuffled = [...all];
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
    }
    const sumA = shuffled.slice(0, k).reduce((x, y) => x + y, 0);
    count++;
    if (stat(sumA) >= observed - eps) extreme++;
  }
  return extreme / count;
}
