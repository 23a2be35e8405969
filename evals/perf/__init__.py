"""Performance benchmarks (run each as ``python -m evals.perf.<name>``)."""
