/**
 * What is new in an e-mail reply: the text above the quoted earlier mail. Mail clients quote in
 * two common ways, a line "On <date>, <name> wrote:" followed by "> " lines (Gmail, Apple Mail,
 * Thunderbird) or a separator "-----Original Message-----" (Outlook); both end the new text.
 */
export const newTextOfReply = (text: string): string => {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const kept: string[] = [];
  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index]!;
    if (/^\s*>/.test(line)) break;
    if (/^\s*-{2,}\s*Original Message\s*-{2,}/i.test(line)) break;
    if (/^\s*On .{1,300}wrote:\s*$/i.test(line)) break;
    // "On …" wrapped over two lines before "wrote:".
    if (/^\s*On .{1,300}$/i.test(line) && /^.{0,200}wrote:\s*$/i.test(lines[index + 1] ?? '')) break;
    kept.push(line);
  }
  return kept.join('\n').trim();
};

/** One header's value from a raw header block (unfolded), or undefined. */
export const headerValue = (rawHeaders: string, name: string): string | undefined => {
  const unfolded = rawHeaders.replace(/\r\n?/g, '\n').replace(/\n[ \t]+/g, ' ');
  const wanted = name.toLowerCase();
  for (const line of unfolded.split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0 && line.slice(0, colon).trim().toLowerCase() === wanted) return line.slice(colon + 1).trim();
  }
  return undefined;
};

/** The address in `"Name" <addr@host>` or a bare `addr@host`, lower case. */
export const addressIn = (value: string): string | undefined => {
  const match = /<([^<>\s@]+@[^<>\s@]+)>/.exec(value) ?? /([^<>\s@",;]+@[^<>\s@",;]+)/.exec(value);
  return match?.[1]?.toLowerCase();
};
