"""Configuration: the schema (every parameter declared once), Hydra registration, validation."""
