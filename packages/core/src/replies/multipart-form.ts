/**
 * The text fields of a multipart/form-data body (RFC 7578) as raw bytes, not yet decoded: Inbound
 * Parse sends each field in the mail's own charset (its `charsets` field names them), so they are
 * decoded only once that is known (inbound-parse-charsets.ts). The runtime's own parser (undici's
 * `Response.formData()`) reads every field as UTF-8, which loses the bytes of a Latin-1 or
 * ISO-2022-JP mail before we can decode them.
 *
 * File parts (a `filename` parameter: attachments) are skipped; a name given twice keeps its
 * first value. Undefined when the body is not a complete multipart body with that boundary
 * (no boundary, no delimiter, a part without its header block, no closing delimiter).
 */
export const multipartFields = (body: Buffer, contentType: string): Map<string, Buffer> | undefined => {
  const boundary = /;\s*boundary\s*=\s*(?:"([^"\r\n]{1,200})"|([^\s;"]{1,200}))/i.exec(contentType);
  const name = boundary?.[1] ?? boundary?.[2];
  if (!name) return undefined;
  const delimiter = Buffer.from(`--${name}`, 'latin1');
  const nextDelimiter = Buffer.from(`\r\n--${name}`, 'latin1');
  const fields = new Map<string, Buffer>();

  // The first delimiter opens the body, or ends a preamble on its own line.
  let at = body.subarray(0, delimiter.length).equals(delimiter) ? 0 : body.indexOf(nextDelimiter);
  if (at < 0) return undefined;
  if (at > 0 || body[0] === 0x0d) at += 2;
  for (;;) {
    let cursor = at + delimiter.length;
    if (body[cursor] === 0x2d && body[cursor + 1] === 0x2d) return fields; // the close delimiter
    while (body[cursor] === 0x20 || body[cursor] === 0x09) cursor += 1; // transport padding
    if (body[cursor] !== 0x0d || body[cursor + 1] !== 0x0a) return undefined;
    cursor += 2;
    let contentStart: number;
    let headers = '';
    if (body[cursor] === 0x0d && body[cursor + 1] === 0x0a) {
      contentStart = cursor + 2; // a part without headers
    } else {
      const headersEnd = body.indexOf('\r\n\r\n', cursor, 'latin1');
      if (headersEnd < 0) return undefined;
      headers = body.subarray(cursor, headersEnd).toString('utf8');
      contentStart = headersEnd + 4;
    }
    const end = body.indexOf(nextDelimiter, contentStart - 2);
    if (end < 0) return undefined;
    const fieldName = fieldNameIn(headers);
    if (fieldName !== undefined && !fields.has(fieldName)) fields.set(fieldName, body.subarray(contentStart, Math.max(end, contentStart)));
    at = end + 2;
  }
};

/** The `name` of a text part's Content-Disposition (form-data); undefined for a file part or none. */
const fieldNameIn = (headers: string): string | undefined => {
  const disposition = headers
    .replace(/\r\n[ \t]+/g, ' ')
    .split('\r\n')
    .find((line) => /^content-disposition\s*:/i.test(line));
  if (!disposition) return undefined;
  const parameters = disposition.slice(disposition.indexOf(':') + 1);
  if (/;\s*filename\*?\s*=/i.test(parameters)) return undefined;
  const match = /;\s*name\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]+))/i.exec(parameters);
  if (!match) return undefined;
  return match[1] !== undefined ? match[1].replace(/\\(.)/g, '$1') : match[2];
};
