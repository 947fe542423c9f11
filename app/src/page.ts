// The home page. Every dynamic value goes through escapeHtml, including the
// numbers, so a later change of type cannot open an injection hole.
import { ReadSource } from "./store";

const ENTITIES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

export function escapeHtml(value: string | number): string {
  return String(value).replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}

export interface HomePageView {
  domain: string;
  serverName: string;
  visitId: number;
  total: number;
  readFrom: ReadSource;
}

export function renderHomePage(view: HomePageView): string {
  const domain = escapeHtml(view.domain);
  return [
    "<!DOCTYPE html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${domain}</title>`,
    '<link rel="stylesheet" href="/static/style.css">',
    '<link rel="icon" type="image/svg+xml" href="/static/favicon.svg">',
    "</head>",
    "<body>",
    "<main>",
    `<h1>${domain}</h1>`,
    `<p id="served-by">Served by ${escapeHtml(view.serverName)}</p>`,
    `<p id="visit">You are visit #${escapeHtml(view.visitId)}</p>`,
    `<p id="total">Total visits: ${escapeHtml(view.total)} (read from ${escapeHtml(view.readFrom)})</p>`,
    "</main>",
    "</body>",
    "</html>",
    "",
  ].join("\n");
}
