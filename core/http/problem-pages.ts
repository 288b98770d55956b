/**
 * The pages behind the problem type URIs: `GET <API URL>/problems/<name>`
 * answers the type's title, statuses and description (HTML for a browser, JSON
 * when asked for it), and `GET <API URL>/problems` lists them all. No API key:
 * they describe the API, not a tenant's data.
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import { json, PROBLEM_TYPE_NAMES, PROBLEM_TYPES, problemTypeUri, type ProblemType } from './problem';

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
/** Inline `code` of the descriptions, in HTML. */
const inlineCode = (s: string) => escapeHtml(s).replace(/`([^`]+)`/g, '<code>$1</code>');

function wantsJson(accept: string | undefined): boolean {
  return accept !== undefined && /application\/(problem\+)?json/i.test(accept) && !/text\/html/i.test(accept);
}

function describe(apiUrl: string, name: ProblemType) {
  const doc = PROBLEM_TYPES[name];
  return { type: problemTypeUri(apiUrl, name), name, title: doc.title, statuses: doc.statuses, description: doc.description };
}

function html(title: string, body: string): APIGatewayProxyResult {
  return {
    statusCode: 200,
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'public, max-age=3600' },
    body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body>${body}</body></html>`,
  };
}

/** The page of one problem type. */
export function problemTypePage(apiUrl: string, name: ProblemType, accept: string | undefined): APIGatewayProxyResult {
  const d = describe(apiUrl, name);
  if (wantsJson(accept)) return json(200, d, { 'cache-control': 'public, max-age=3600' });
  return html(d.title, `<h1>${escapeHtml(d.title)}</h1><p><code>${escapeHtml(d.type)}</code> · HTTP ${d.statuses.join(', ')}</p><p>${inlineCode(d.description)}</p><p><a href="../problems">All problem types</a></p>`);
}

/** The list of every problem type. */
export function problemTypesPage(apiUrl: string, accept: string | undefined): APIGatewayProxyResult {
  const all = PROBLEM_TYPE_NAMES.map((name) => describe(apiUrl, name));
  if (wantsJson(accept)) return json(200, { problemTypes: all }, { 'cache-control': 'public, max-age=3600' });
  const rows = all.map((d) => `<li><a href="problems/${d.name}"><code>${d.name}</code></a> (HTTP ${d.statuses.join(', ')}): ${escapeHtml(d.title)}</li>`).join('');
  return html('Problem types of the SMS gateway API', `<h1>Problem types of the SMS gateway API</h1><ul>${rows}</ul>`);
}
