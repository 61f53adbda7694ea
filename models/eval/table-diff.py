"""Per-clip differences between two methods of the eval:all table (its committed per-clip JSONs).

  python3 models/eval/table-diff.py [--size 256] [--from 2] [--to 3]

For each clip both methods scored at that size: the mean of ours (kbit/s, L1, SSIM, PSNR, AKD,
CSIM) under each, and on how many clips the later method is better. Standard library only.
"""
import argparse
import glob
import json
import os
import statistics

HERE = os.path.dirname(os.path.abspath(__file__))
LOWER_IS_BETTER = {'kbps': True, 'l1': True, 'ssim': False, 'psnr': False, 'akd': True, 'csim': False}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--size', type=int, default=256)
    ap.add_argument('--from', dest='old', type=int, default=2, help='method version of the baseline')
    ap.add_argument('--to', dest='new', type=int, default=3, help='method version compared with it')
    ap.add_argument('--dir', default=os.path.join(HERE, '..', 'results', 'eval'))
    a = ap.parse_args()
    pairs = []
    for new in sorted(glob.glob(os.path.join(a.dir, f'*-{a.size}-k*-n*-r*-v{a.new}.json'))):
        old = new[: -len(f'-v{a.new}.json')] + f'-v{a.old}.json'
        if not os.path.exists(old):
            continue
        ro, rn = (json.load(open(p)) for p in (old, new))
        if 'skipped' in ro or 'skipped' in rn:
            continue
        pairs.append((ro['ours'], rn['ours']))
    if not pairs:
        raise SystemExit(f'table-diff: no clip scored at {a.size} px under both v{a.old} and v{a.new} in {a.dir}')
    print(f'{len(pairs)} clips at {a.size} px, v{a.old} → v{a.new}')
    for m, lower in LOWER_IS_BETTER.items():
        xs = [(o[m], n[m]) for o, n in pairs if o.get(m) is not None and n.get(m) is not None]
        better = sum(1 for o, n in xs if (n < o if lower else n > o))
        print(f'{m:5s} {statistics.mean(o for o, _ in xs):9.4f} → {statistics.mean(n for _, n in xs):9.4f}   better on {better} of {len(xs)}')


if __name__ == '__main__':
    main()
