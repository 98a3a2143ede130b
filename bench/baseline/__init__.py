"""A minimal replica of the balance_api this system grew from, kept only as the benchmarks' comparison row."""
