"""The hardening suites: hostile and broken workbooks, hostile names, full disks and read-only
folders, fuzzing."""
