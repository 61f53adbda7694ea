/** Replacing one `## ` section of models/RESULTS.md, leaving every other section alone. */

/** Returns `markdown` with the section titled `heading` (a full `## …` line) replaced by `body`, or appended. */
export function upsertSection(markdown: string, heading: string, body: string): string {
  if (!heading.startsWith('## ')) throw new TypeError('heading must be a level-2 markdown heading ("## …")');
  const section = `${heading}\n\n${body.trim()}\n`;
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => l.trim() === heading.trim());
  if (start < 0) return (markdown.trim() ? markdown.replace(/\s*$/, '\n\n') : '') + section;
  let end = lines.length;
  let fence = false;
  for (let i = start + 1; i < lines.length; i++) {
    if (lines[i]!.startsWith('```')) fence = !fence;
    if (!fence && /^#{1,2} /.test(lines[i]!)) {
      end = i;
      break;
    }
  }
  const before = lines.slice(0, start).join('\n');
  const after = lines.slice(end).join('\n');
  return (before ? before.replace(/\s*$/, '\n\n') : '') + section + (after ? '\n' + after : '');
}
