/** Numbers as people read them in notifications and summaries. */

/** Whole above 100, else 4 significant digits without trailing zeros; empty for null. */
export const formatValue = (v: number | null) => (v === null ? '' : Math.abs(v) >= 100 ? v.toFixed(0) : String(Number(v.toPrecision(4))));
