/**
 * The fictional company behind the sample data: regions, products, channels and segments, each
 * with the trend that gives the data a story (a growing and a declining region, a product launch,
 * a product in decline, a shift from retail to online, discount pressure in Europe).
 */

export interface RegionSpec {
  name: string;
  /** Share of orders at the start of the data. */
  weight: number;
  /** Yearly growth of order volume, as a function of the year (fractional, e.g. 2025.5). */
  growth: (year: number) => number;
  countries: { name: string; weight: number }[];
  /** Extra discount (fraction) as a function of the year: price pressure. */
  extraDiscount: (year: number) => number;
}

export interface ProductSpec {
  name: string;
  category: string;
  listPrice: number;
  /** Unit cost as a share of list price. */
  costRatio: number;
  weight: number;
  /** Demand multiplier over time (1 = steady). 0 before launch. */
  lifecycle: (year: number) => number;
  /** Typical units per order for consumer, SMB and enterprise buyers. */
  units: [number, number, number];
}

const ramp = (from: number, to: number, t: number): number => Math.min(1, Math.max(0, (t - from) / (to - from)));

export const REGIONS: RegionSpec[] = [
  {
    name: 'North America',
    weight: 0.33,
    growth: () => 0.05,
    countries: [{ name: 'United States', weight: 0.82 }, { name: 'Canada', weight: 0.12 }, { name: 'Mexico', weight: 0.06 }],
    extraDiscount: () => 0,
  },
  {
    name: 'Europe',
    weight: 0.28,
    growth: () => 0.02,
    countries: [
      { name: 'Germany', weight: 0.27 }, { name: 'United Kingdom', weight: 0.24 }, { name: 'France', weight: 0.18 },
      { name: 'Netherlands', weight: 0.11 }, { name: 'Spain', weight: 0.1 }, { name: 'Italy', weight: 0.1 },
    ],
    // A price war from mid-2025 pushes discounts up and margins down.
    extraDiscount: (y) => 0.06 * ramp(2025.4, 2026.5, y),
  },
  {
    name: 'Asia Pacific',
    weight: 0.18,
    growth: (y) => (y < 2024.5 ? 0.12 : 0.32),
    countries: [
      { name: 'Japan', weight: 0.3 }, { name: 'Australia', weight: 0.22 }, { name: 'India', weight: 0.2 },
      { name: 'Singapore', weight: 0.14 }, { name: 'South Korea', weight: 0.14 },
    ],
    extraDiscount: () => 0,
  },
  {
    name: 'Latin America',
    weight: 0.13,
    // Stable until 2024, then shrinking after a distributor was lost.
    growth: (y) => (y < 2024.75 ? 0.03 : -0.34),
    countries: [{ name: 'Brazil', weight: 0.48 }, { name: 'Argentina', weight: 0.18 }, { name: 'Chile', weight: 0.17 }, { name: 'Colombia', weight: 0.17 }],
    extraDiscount: (y) => 0.02 * ramp(2025, 2026, y),
  },
  {
    name: 'Middle East & Africa',
    weight: 0.08,
    growth: () => 0.07,
    countries: [{ name: 'United Arab Emirates', weight: 0.4 }, { name: 'Saudi Arabia', weight: 0.33 }, { name: 'South Africa', weight: 0.27 }],
    extraDiscount: () => 0,
  },
];

/** The launch date of the new laptop (fractional year): October 2025, ramping up over six months. */
export const LAUNCH = { product: 'Aero 14 AI Laptop', year: 2025.75 };

export const PRODUCTS: ProductSpec[] = [
  {
    name: 'Aero 13 Laptop', category: 'Laptops', listPrice: 1199, costRatio: 0.68, weight: 0.11,
    // Partly cannibalised by the Aero 14 AI after its launch.
    lifecycle: (y) => 1 - 0.3 * ramp(LAUNCH.year, LAUNCH.year + 0.6, y), units: [1, 3, 14],
  },
  { name: 'Aero 15 Pro Laptop', category: 'Laptops', listPrice: 1899, costRatio: 0.64, weight: 0.07, lifecycle: () => 1, units: [1, 2, 10] },
  {
    name: LAUNCH.product, category: 'Laptops', listPrice: 1499, costRatio: 0.6, weight: 0.09,
    lifecycle: (y) => (y < LAUNCH.year ? 0 : 0.35 + 0.85 * ramp(LAUNCH.year, LAUNCH.year + 0.5, y)), units: [1, 3, 12],
  },
  {
    name: 'Slate 10 Tablet', category: 'Tablets', listPrice: 499, costRatio: 0.66, weight: 0.1,
    // Demand falls away from 2025 as customers move to the new laptops.
    lifecycle: (y) => (y < 2025 ? 1 : Math.max(0.2, 1 - 0.55 * (y - 2025))), units: [1, 4, 20],
  },
  { name: 'ViewMax 27 Monitor', category: 'Monitors', listPrice: 349, costRatio: 0.6, weight: 0.12, lifecycle: () => 1, units: [1, 4, 25] },
  { name: 'ViewMax 34 Ultrawide', category: 'Monitors', listPrice: 699, costRatio: 0.58, weight: 0.06, lifecycle: () => 1, units: [1, 3, 12] },
  { name: 'Dock Station Pro', category: 'Accessories', listPrice: 249, costRatio: 0.45, weight: 0.1, lifecycle: () => 1, units: [1, 4, 30] },
  { name: 'Wireless Keyboard', category: 'Accessories', listPrice: 89, costRatio: 0.4, weight: 0.1, lifecycle: () => 1, units: [1, 6, 40] },
  { name: 'Precision Mouse', category: 'Accessories', listPrice: 49, costRatio: 0.38, weight: 0.1, lifecycle: () => 1, units: [1, 6, 45] },
  { name: 'Noise-Cancel Headset', category: 'Accessories', listPrice: 179, costRatio: 0.5, weight: 0.07, lifecycle: () => 1.05, units: [1, 4, 25] },
  {
    name: 'CloudSync Subscription', category: 'Software & Services', listPrice: 120, costRatio: 0.18, weight: 0.06,
    lifecycle: (y) => 1 + 0.25 * Math.max(0, y - 2023), units: [1, 8, 60],
  },
  { name: 'Care+ Warranty', category: 'Software & Services', listPrice: 149, costRatio: 0.22, weight: 0.05, lifecycle: () => 1, units: [1, 3, 15] },
];

export const CHANNELS = ['Online', 'Retail', 'Partner'] as const;
export const SEGMENTS = ['Consumer', 'SMB', 'Enterprise'] as const;

/** Channel weights drift from retail to online over time. */
export function channelWeights(year: number): [number, number, number] {
  const t = Math.max(0, Math.min(1, (year - 2023) / 4));
  return [0.34 + 0.16 * t, 0.41 - 0.15 * t, 0.25 - 0.01 * t];
}

export const SEGMENT_WEIGHTS: [number, number, number] = [0.52, 0.31, 0.17];
/** Base discount (fraction) per segment. */
export const SEGMENT_DISCOUNT: [number, number, number] = [0.03, 0.07, 0.14];

/** Orders per month relative to the average: slow January, quarter-end pushes, holiday peak. */
export const MONTH_SEASONALITY = [0.8, 0.86, 1.04, 0.9, 0.96, 1.06, 0.86, 0.92, 1.06, 1.0, 1.2, 1.34];
