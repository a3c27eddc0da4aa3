# Left out of the zip by the default excludes.
