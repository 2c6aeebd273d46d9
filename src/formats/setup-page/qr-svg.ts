/**
 * A QR code as inline SVG markup, drawn on the server: no script and no image request,
 * so the setup page's CSP stays as strict as it is. The `qrcode` package encodes; the
 * drawing is ours, one path of unit squares, with the four-module quiet zone scanners need.
 */
import { create } from 'qrcode';
import { SafeHtml, html } from './html-template';

const QUIET_ZONE = 4;

/** The QR code of `text` (error correction M: a phone camera reads it from a screen). */
export function qrCodeSvg(text: string, label: string): SafeHtml {
  const { modules } = create(text, { errorCorrectionLevel: 'M' });
  const size = modules.size;
  let path = '';
  for (let row = 0; row < size; row += 1) {
    for (let column = 0; column < size; column += 1) {
      if (modules.get(row, column)) path += `M${column + QUIET_ZONE} ${row + QUIET_ZONE}h1v1h-1z`;
    }
  }
  const extent = size + 2 * QUIET_ZONE;
  return html`<svg xmlns="http://www.w3.org/2000/svg" class="qr-code" role="img" aria-label="${label}" viewBox="0 0 ${extent} ${extent}" shape-rendering="crispEdges"><rect width="${extent}" height="${extent}" fill="#fff"/><path fill="#000" d="${path}"/></svg>`;
}
