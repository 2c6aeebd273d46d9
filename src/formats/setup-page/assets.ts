/**
 * The setup page's stylesheet and icon. They live in the compiled code rather than in a
 * folder, so that every build (dist/, the Docker image) serves them without copying
 * files; they are still served as files, so the pages' CSP needs no 'unsafe-inline'.
 * Colours keep at least 7:1 contrast on white; the tables stack on phones.
 */

export const SETUP_STYLESHEET = `:root {
  color-scheme: light;
  --text: #1a1a1a;
  --muted: #4a4a4a;
  --link: #0b57a4;
  --error: #a8001c;
  --rule: #c8c8c8;
  --shade: #f2f4f7;
}

* { box-sizing: border-box; }

body {
  margin: 0;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  font-size: 1rem;
  line-height: 1.5;
  color: var(--text);
  background: #fff;
}

main {
  max-width: 72rem;
  margin: 0 auto;
  padding: 1rem;
}

h1 { font-size: 1.6rem; line-height: 1.25; margin: 0.5rem 0 1rem; }
h2 { font-size: 1.3rem; margin: 2rem 0 0.5rem; }
h3 { font-size: 1.1rem; margin: 1.5rem 0 0.25rem; }

a { color: var(--link); }
a:focus-visible, input:focus-visible, button:focus-visible { outline: 3px solid var(--link); outline-offset: 2px; }

.address, code { overflow-wrap: break-word; }
code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 0.95em; }

.address-form { margin: 1rem 0; }
.address-form label { display: block; font-weight: 600; }
.hint { margin: 0.1rem 0 0.4rem; color: var(--muted); }
.error { margin: 0.1rem 0 0.4rem; color: var(--error); font-weight: 600; }
.field-row { display: flex; flex-wrap: wrap; gap: 0.5rem; }
input[type="text"] {
  flex: 1 1 16rem;
  min-width: 0;
  padding: 0.5rem;
  font: inherit;
  border: 2px solid var(--muted);
  border-radius: 4px;
}
input[aria-invalid="true"] { border-color: var(--error); }
button {
  padding: 0.5rem 1rem;
  font: inherit;
  font-weight: 600;
  color: #fff;
  background: var(--link);
  border: 2px solid var(--link);
  border-radius: 4px;
  cursor: pointer;
}

.profile-first { padding: 0.5rem 1rem 1rem; background: var(--shade); border-left: 4px solid var(--link); }
.profile-button {
  display: inline-block;
  padding: 0.75rem 1.5rem;
  font-size: 1.2rem;
  font-weight: 600;
  color: #fff;
  background: var(--link);
  border-radius: 6px;
  text-decoration: none;
}
.qr { margin: 0.5rem 0; }
.qr-code { display: block; width: 12rem; height: 12rem; }

.before { padding: 0.5rem 1rem; background: var(--shade); border-left: 4px solid var(--link); }

table.servers { width: 100%; border-collapse: collapse; margin: 0.5rem 0; }
.servers th, .servers td { padding: 0.4rem 0.5rem; text-align: left; vertical-align: top; border-bottom: 1px solid var(--rule); }
.servers thead th { background: var(--shade); }
.servers td p { margin: 0 0 0.25rem; }
.alternative { color: var(--muted); }

/* Phones: each server becomes a block of "column: value" lines. */
@media (max-width: 48rem) {
  .servers thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); }
  .servers, .servers tbody, .servers tr, .servers td { display: block; width: 100%; }
  .servers tr { border: 1px solid var(--rule); border-radius: 4px; margin-bottom: 0.75rem; }
  .servers td { display: grid; grid-template-columns: 8.5rem minmax(0, 1fr); gap: 0.5rem; border-bottom: 1px solid var(--shade); }
  .servers td::before { content: attr(data-label); font-weight: 600; }
}
`;

export const SETUP_ICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect x="2" y="7" width="28" height="18" rx="2" fill="#0b57a4"/><path d="M3 9l13 9 13-9" fill="none" stroke="#fff" stroke-width="2"/></svg>
`;
