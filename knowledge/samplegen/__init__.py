"""Sample-data generator for the bundled demo tenants (see knowledge/README.md)."""
