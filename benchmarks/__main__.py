"""``python -m benchmarks <suite> [--quick]``: see :mod:`benchmarks.cli`."""

from benchmarks.cli import bench_app

if __name__ == "__main__":
    bench_app(prog_name="python -m benchmarks")
