#!/bin/sh
# Issue 12, item 12: inspect_path on three real wheels, one fresh process per round (seconds,
# peak RSS, findings, incomplete). Run from the repository root; figures in bench/RESULTS.md.
for w in /opt/pypi/files/sympy-1.14.0-py3-none-any.whl /opt/pypi/files/botocore-1.43.107-py3-none-any.whl /opt/pypi/files/pandas-2.3.3-cp311-cp311-manylinux_2_24_x86_64.manylinux_2_28_x86_64.whl; do
  for r in 1 2 3; do
    .venv/bin/python -c "
import sys, time, resource
from pathlib import Path
from chaingate.analysis.inspect import inspect_path
t = time.perf_counter(); ins = inspect_path(Path(sys.argv[1])); dt = time.perf_counter() - t
print(f'{Path(sys.argv[1]).name[:22]:22} {dt:6.2f}s rss {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024:5.0f}MB files {ins.files} findings {len(ins.findings)} incomplete {len(getattr(ins, \"incomplete\", ()))}')
" $w
  done
done
