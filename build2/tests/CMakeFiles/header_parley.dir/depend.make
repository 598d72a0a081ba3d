# Empty dependencies file for header_parley.
# This may be replaced when dependencies are built.
