/** HTML escaping for everything rendered as HTML (alerter pages, report pages): container names, log lines and labels are hostile input. */
export const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
