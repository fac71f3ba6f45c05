"""ISAM (klantvolgsysteem): ZGW-style notifications in, signals out (see FORMAT.md)."""
