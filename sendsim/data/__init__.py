"""Council-level open data for England: raw copies, the builder and validated loaders."""
