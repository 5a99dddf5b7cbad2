/**
 * The run report as ONE self-contained HTML file: the static template
 * (packages/coordinator/report-template: report.html, report.css, report.js)
 * with its CSS, script and data inlined. Nothing is fetched when it opens
 * (its Content-Security-Policy forbids it).
 */
import { readFile } from 'node:fs/promises';
import type { RunReport } from './report-types.js';

/** The template folder: two levels up from src/report/ and from dist/report/ alike. */
const TEMPLATE = new URL('../../report-template/', import.meta.url);

export async function renderReportHtml(report: RunReport): Promise<string> {
  const [html, css, js] = await Promise.all(['report.html', 'report.css', 'report.js'].map((f) => readFile(new URL(f, TEMPLATE), 'utf8')));
  // Functions as replacements: `$` in the inlined text is not a pattern.
  return (html as string)
    .replace('/*DJC_CSS*/', () => css as string)
    .replace('/*DJC_JS*/', () => (js as string).replace(/<\/script/gi, '<\\/script'))
    .replace('/*DJC_DATA*/', () => scriptJson(report));
}

/** JSON safe inside <script>: no "</script>", "<!--", or line separators that end a JS string. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}
