import { describe, expect, it } from 'vitest';
import { upsertSection } from './results-md.ts';

const H = '## Quality benchmark (npm run eval)';

describe('upsertSection', () => {
  it('appends to an empty or foreign file', () => {
    expect(upsertSection('', H, 'body')).toBe(`${H}\n\nbody\n`);
    expect(upsertSection('# Results\n\n## Neural generator\n\nx\n', H, 'b')).toBe(`# Results\n\n## Neural generator\n\nx\n\n${H}\n\nb\n`);
  });
  it('replaces only its own section, keeping the ones after it', () => {
    const md = `# R\n\n${H}\n\nold\n### sub\nold too\n\n## Neural generator\n\nkeep\n`;
    expect(upsertSection(md, H, 'new')).toBe(`# R\n\n${H}\n\nnew\n\n## Neural generator\n\nkeep\n`);
  });
  it('ignores headings inside code fences', () => {
    const md = `${H}\n\n\`\`\`\n## not a heading\n\`\`\`\n`;
    expect(upsertSection(md, H, 'new')).toBe(`${H}\n\nnew\n`);
  });
  it('rejects a heading that is not level 2', () => {
    expect(() => upsertSection('', '# x', 'b')).toThrow(TypeError);
  });
});
