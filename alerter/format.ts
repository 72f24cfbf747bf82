/**
 * Texts and bodies of notifications (pure): email subject, text and HTML,
 * the SMS line, the webhook JSON (docs/alerter.md), Slack and push bodies.
 */
import { formatValue as fmtValue } from '../common/format.js';
import type { Notification, NotifiedAlert } from './notification.js';
import { escapeHtml as esc } from './html.js';

const iso = (t: number | null) => (t ? new Date(t).toISOString() : null);

export function headline(n: Notification): string {
  const firing = n.alerts.filter((a) => a.status === 'firing');
  const first = n.alerts[0];
  const where = first ? `${first.container || '-'} on ${first.host}` : '';
  if (n.kind === 'recovery') {
    const r = n.recovery!;
    if (n.reason === 'done') return `[ACTION DONE] ${r.action} on ${where}`;
    return n.reason === 'recovered' ? `[RECOVERED] ${where} after ${r.action}` : `[ESCALATED] ${where} still failing after ${r.action}`;
  }
  const more = n.alerts.length > 1 ? ` (+${n.alerts.length - 1} more)` : '';
  const rule = first?.rule ?? '';
  if (firing.length) return `[FIRING:${firing.length}] ${rule} ${where}${more}`;
  return `[RESOLVED] ${rule} ${where}${more}`;
}

export const subject = (n: Notification) => (n.reason === 'repeat' ? `${headline(n)} (repeat)` : headline(n));

function alertLines(a: NotifiedAlert): string[] {
  const out = [
    `${a.status.toUpperCase()} ${a.severity} ${a.rule}: ${a.container || '-'} on ${a.host}`,
    `  ${a.summary}`,
    `  started ${iso(a.startsAt)}${a.endsAt ? `, resolved ${iso(a.endsAt)}` : ''}${a.value !== null ? `, value ${fmtValue(a.value)}` : ''}`,
  ];
  if (a.acknowledged) out.push('  acknowledged');
  if (a.containerId) out.push(`  container ID ${a.containerId.slice(0, 12)}`);
  if (a.dashboardUrl) out.push(`  dashboard: ${a.dashboardUrl}`);
  if (a.snapshotId) out.push(`  snapshot: ${a.snapshotId}`);
  if (a.snapshotUrl) out.push(`  snapshot page: ${a.snapshotUrl}`);
  return out;
}

export function emailText(n: Notification): string {
  const out: string[] = [headline(n), ''];
  if (n.recovery) {
    const r = n.recovery;
    const state = n.reason === 'done' ? 'done' : `container ${r.recovered ? 'recovered' : 'NOT recovered'}`;
    out.push(`Action ${r.action} (${r.command}): ${r.outcome}${r.exitCode !== null ? `, exit code ${r.exitCode}` : ''}; ${state}.`);
    if (r.detail) out.push(r.detail);
    for (const f of r.attachments ?? []) out.push(`Attached on ${n.alerts[0]?.host ?? 'the host'}: ${f}`);
    out.push(`Run ID ${r.runId}`, '');
  }
  for (const a of n.alerts) {
    out.push(...alertLines(a));
    const s = a.snapshot;
    if (s) {
      out.push('  snapshot facts:');
      for (const [k, v] of s.facts) out.push(`    ${k}: ${v}`);
      if (s.logs.length) {
        out.push('    last log lines:');
        for (const l of s.logs) out.push(`      ${l}`);
      }
    }
    out.push('');
  }
  out.push(`Group ${Object.entries(n.groupLabels).map(([k, v]) => `${k}=${v}`).join(', ')}; notification ${n.id}`);
  return out.join('\n');
}


export function emailHtml(n: Notification): string {
  const color = n.status === 'firing' && n.reason !== 'recovered' ? '#c0392b' : '#27ae60';
  const parts: string[] = [`<h2 style="color:${color}">${esc(headline(n))}</h2>`];
  if (n.recovery) {
    const r = n.recovery;
    const state = n.reason === 'done' ? 'done' : `container <b>${r.recovered ? 'recovered' : 'NOT recovered'}</b>`;
    parts.push(`<p>Action <b>${esc(r.action)}</b> (<code>${esc(r.command)}</code>): ${esc(r.outcome)}${r.exitCode !== null ? `, exit code ${r.exitCode}` : ''}; ${state}.</p>`);
    if (r.detail) parts.push(`<p>${esc(r.detail)}</p>`);
    if (r.attachments?.length) parts.push(`<p>Attached on ${esc(n.alerts[0]?.host ?? 'the host')}:</p><ul>${r.attachments.map((f) => `<li><code>${esc(f)}</code></li>`).join('')}</ul>`);
  }
  for (const a of n.alerts) {
    parts.push(`<h3>${esc(a.status.toUpperCase())} ${esc(a.severity)} ${esc(a.rule)}: ${esc(a.container || '-')} on ${esc(a.host)}</h3>`);
    parts.push(`<p>${esc(a.summary)}</p><ul>`);
    parts.push(`<li>started ${esc(iso(a.startsAt) ?? '')}${a.endsAt ? `, resolved ${esc(iso(a.endsAt)!)}` : ''}</li>`);
    if (a.value !== null) parts.push(`<li>value ${esc(fmtValue(a.value))}</li>`);
    if (a.acknowledged) parts.push('<li>acknowledged</li>');
    parts.push('</ul>');
    const s = a.snapshot;
    if (s) {
      parts.push('<table border="1" cellpadding="4" style="border-collapse:collapse">');
      for (const [k, v] of s.facts) parts.push(`<tr><th align="left">${esc(k)}</th><td>${esc(v)}</td></tr>`);
      parts.push('</table>');
      if (s.logs.length) parts.push(`<pre>${esc(s.logs.join('\n'))}</pre>`);
    }
    const links = [
      a.snapshotUrl ? `<a href="${esc(a.snapshotUrl)}">Fault snapshot</a> (logs, inspect, processes, metrics at the fault)` : '',
      a.dashboardUrl ? `<a href="${esc(a.dashboardUrl)}">Container dashboard</a>` : '',
    ].filter(Boolean);
    if (links.length) parts.push(`<p>${links.join(' · ')}</p>`);
  }
  parts.push(`<p style="color:#888">notification ${esc(n.id)}</p>`);
  return `<!doctype html><html><body>${parts.join('\n')}</body></html>`;
}

/** Plain ASCII (GSM-safe) and at most `max` characters: one SMS. */
export function smsText(n: Notification, max = 160): string {
  const a = n.alerts[0];
  let s: string;
  if (n.kind === 'recovery') {
    const word = n.reason === 'recovered' ? 'RECOVERED' : n.reason === 'done' ? 'ACTION DONE' : 'ESCALATED';
    s = `${word} ${a?.container ?? ''}@${a?.host ?? ''} after ${n.recovery!.action}: ${n.recovery!.outcome}`;
  } else {
    const firing = n.alerts.filter((x) => x.status === 'firing').length;
    const more = n.alerts.length > 1 ? ` +${n.alerts.length - 1}` : '';
    s = `${firing ? 'FIRING' : 'RESOLVED'} ${a?.severity ?? ''} ${a?.rule ?? ''} ${a?.container ?? ''}@${a?.host ?? ''}${more}: ${a?.summary ?? ''}`;
  }
  s = s.normalize('NFKD').replace(/[^\x20-\x7e]/g, '').replace(/\s+/g, ' ').trim();
  return s.length <= max ? s : s.slice(0, max - 3).trimEnd() + '...';
}

/** The documented JSON body of the webhook channel (docs/alerter.md, "Webhook body"). */
export function webhookBody(n: Notification, deliveryId: string) {
  return {
    version: '1',
    id: n.id,
    idempotencyKey: deliveryId,
    kind: n.kind,
    status: n.status,
    reason: n.reason,
    receiver: n.receiver,
    groupKey: n.groupKey,
    groupLabels: n.groupLabels,
    time: iso(n.time),
    title: headline(n),
    alerts: n.alerts.map((a) => ({
      key: a.key,
      status: a.status,
      rule: a.rule,
      severity: a.severity,
      host: a.host,
      container: a.container,
      containerId: a.containerId,
      summary: a.summary,
      value: a.value,
      labels: a.labels,
      startsAt: iso(a.startsAt),
      endsAt: iso(a.endsAt),
      snapshotId: a.snapshotId,
      snapshotUrl: a.snapshotUrl || null,
      acknowledged: a.acknowledged,
      dashboardUrl: a.dashboardUrl || null,
    })),
    recovery: n.recovery,
  };
}

const SLACK_COLOR = { critical: '#c0392b', warning: '#e67e22', info: '#3498db' } as const;

/** A Slack incoming-webhook body (text plus one attachment per alert). */
export function slackBody(n: Notification) {
  return {
    text: headline(n),
    attachments: n.alerts.map((a) => ({
      color: a.status === 'resolved' || n.reason === 'recovered' ? '#27ae60' : SLACK_COLOR[a.severity],
      title: `${a.status.toUpperCase()} ${a.rule}: ${a.container || '-'} on ${a.host}`,
      title_link: a.dashboardUrl || undefined,
      text: a.summary,
      fields: [
        { title: 'severity', value: a.severity, short: true },
        { title: 'started', value: iso(a.startsAt), short: true },
        ...(a.value !== null ? [{ title: 'value', value: fmtValue(a.value), short: true }] : []),
      ],
      ts: Math.floor(a.startsAt / 1000),
    })),
  };
}

const NTFY_PRIORITY = { critical: 5, warning: 4, info: 3 } as const;
const GOTIFY_PRIORITY = { critical: 10, warning: 7, info: 4 } as const;

export function pushBody(n: Notification, format: 'ntfy' | 'gotify' | 'json', topic: string) {
  const a = n.alerts[0];
  const sev = a?.severity ?? 'info';
  const message = n.alerts.map((x) => `${x.status} ${x.container}@${x.host}: ${x.summary}`).join('\n') || headline(n);
  const click = a?.dashboardUrl || undefined;
  const resolved = n.status === 'resolved' || n.reason === 'recovered';
  if (format === 'gotify') {
    return { title: headline(n), message, priority: resolved ? 2 : GOTIFY_PRIORITY[sev], extras: click ? { 'client::notification': { click: { url: click } } } : undefined };
  }
  const body = { title: headline(n), message, priority: resolved ? 2 : NTFY_PRIORITY[sev], tags: [resolved ? 'white_check_mark' : 'rotating_light', sev], click };
  return format === 'ntfy' ? { topic, ...body } : body;
}
