/**
 * tsx packages/client/scripts/compare-tracks.ts <tracks.jsonl> <reference.jsonl[.gz]> --size WxH
 * Mean landmark distance in pixels between two tracks files, matched by timestamp.
 */
import { parseArgs } from 'node:util';
import { compareTracks, readTracksFile } from './lib/tracks.ts';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { size: { type: 'string' } } });
const size = /^(\d+)x(\d+)$/.exec(values.size ?? '');
if (positionals.length !== 2 || !size) {
  process.stderr.write('usage: compare-tracks.ts <tracks.jsonl> <reference.jsonl[.gz]> --size WxH\n');
  process.exit(2);
}
const [a, b] = await Promise.all(positionals.map((p) => readTracksFile(p)));
const c = compareTracks(a!, b!, Number(size[1]), Number(size[2]));
process.stdout.write(JSON.stringify(c, null, 2) + '\n');
