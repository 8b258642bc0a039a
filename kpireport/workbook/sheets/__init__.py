"""One reader per contract sheet (Settings, Departments, KPIs, Measurements, Benchmarks, Plan)."""
